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
	crdsOnce.Do(func() { installCRDs(t, env) })
	return env
}

// privateEnv is a control plane of the test's own with weft's CRDs, for a
// test that stops the API server: the shared one's controller-manager would
// be left in client-go's backoff, and the tests after it waiting on it.
func privateEnv(t *testing.T) *kubeenv.Env {
	t.Helper()
	kubeenv.RequirePrivateNetwork(t)
	env := kubeenv.Start(t, kubeenv.Options{BindAddress: kubeenv.NamespaceHostIP})
	installCRDs(t, env)
	return env
}

func installCRDs(t *testing.T, env *kubeenv.Env) {
	t.Helper()
	kubectl(t, env, "apply", "-f", crdsDir(t))
	kubectl(t, env, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
}
