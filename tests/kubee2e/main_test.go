package kubee2e

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/weftmesh/weft/tests/e2e"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// TestMain builds weftd once, then runs the package inside a private
// network namespace (pod IPs such as 10.244.1.2 are local there, and
// EndpointSlices refuse loopback IPs) with one shared control plane.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "weft-kubee2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubee2e:", err)
		os.Exit(1)
	}
	code := run(m, dir)
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(m *testing.M, dir string) int {
	// The re-executed child inherits WEFTD_BIN, so weftd is built only once.
	if os.Getenv(e2e.WeftdBinEnv) == "" {
		if root, err := e2e.ModuleRoot(); err == nil {
			if bin, err := e2e.BuildWeftd(root, dir); err == nil {
				os.Setenv(e2e.WeftdBinEnv, bin)
			}
		}
	}
	if os.Getenv(agentBinEnv) == "" {
		if root, err := e2e.ModuleRoot(); err == nil {
			if bin, err := e2e.BuildCommand(root, dir, "weft-agent"); err == nil {
				os.Setenv(agentBinEnv, bin)
			} else {
				fmt.Fprintln(os.Stderr, "kubee2e:", err)
			}
		}
	}
	e2e.SetupWeftd(dir) // reports a build failure to the tests that need weftd
	return kubeenv.InPrivateNetwork(m)
}

// agentBinEnv names the weft-agent binary the test kubelet runs.
const agentBinEnv = "WEFT_AGENT_BIN"

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
