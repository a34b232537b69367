package kubee2e

import (
	"os"
	"sync"
	"testing"

	"github.com/weftmesh/weft/tests/harness"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// TestMain builds weftd and weft-agent once, then runs the package inside a
// private network namespace (pod IPs such as 10.244.1.2 are local there, and
// EndpointSlices refuse loopback IPs) with one shared control plane.
func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, harness.MainOptions{Prebuild: []string{"weftd", "weft-agent"}, Run: kubeenv.InPrivateNetwork}))
}

var crdsOnce sync.Once

// sharedEnv is the package's control plane with weft's CRDs installed.
func sharedEnv(t *testing.T) *kubeenv.Env {
	t.Helper()
	kubeenv.RequirePrivateNetwork(t)
	env := kubeenv.Shared(t, kubeenv.Options{BindAddress: kubeenv.NamespaceHostIP})
	crdsOnce.Do(func() {
		kubectl(t, env, "apply", "-f", crdsDir(t))
		kubectl(t, env, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
	})
	return env
}
