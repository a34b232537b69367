//go:build istioprobe

package istioprobe

import (
	"os"
	"testing"

	"github.com/weftmesh/weft/tests/kubeenv"
)

// Pod IPs must be accepted in EndpointSlices: run in a private network.
func TestMain(m *testing.M) { os.Exit(kubeenv.InPrivateNetwork(m)) }
