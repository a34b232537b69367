package kubeenv_test

import (
	"os"
	"testing"

	"github.com/weftmesh/weft/tests/kubeenv"
)

// TestMain runs this package's tests in a private network namespace so pod
// IPs in PodCIDR are local and accepted in EndpointSlices, and stops the
// shared control plane after the last test. As the orphan helper it only
// starts a control plane and waits to be killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv(kubeenv.OrphanHelperEnv); dir != "" {
		os.Exit(kubeenv.RunOrphanHelper(dir))
	}
	os.Exit(kubeenv.InPrivateNetwork(m))
}
