package kubeenv

import (
	"fmt"
	"os"
	"testing"

	"github.com/weftmesh/weft/tests/harness"
)

// EndpointSlice validation rejects loopback addresses, so tests that publish
// pod IPs run inside a private network namespace where PodCIDR is on lo:
// every 10.244.x.y is then a local address that servers can bind and
// clients can reach, and no packet can leave the namespace (it has no other
// interface and no route out).
const (
	// PodCIDR is assigned to lo inside the private network namespace.
	PodCIDR = "10.244.0.0/16"
	// NamespaceHostIP is the address given to lo with PodCIDR's prefix.
	NamespaceHostIP = "10.244.0.1"
	// netnsEnv is set in the re-executed test binary to the parent's
	// network namespace, so the child can check that it is in a new one
	// before it touches lo.
	netnsEnv = "WEFT_KUBEENV_NETNS"
	// setupFailedCode is the child's exit code when it cannot set up lo, so
	// the parent falls back as if no namespace could be made. Test binaries
	// exit 0, 1 or 2 otherwise.
	setupFailedCode = 86
)

// privateNet records whether this test binary runs inside the namespace, or
// why not.
var privateNet = struct {
	inside bool
	reason string
}{reason: "TestMain does not call kubeenv.InPrivateNetwork"}

// InPrivateNetwork is a TestMain body that runs the package's tests inside
// a private network namespace:
//
//	func TestMain(m *testing.M) { os.Exit(kubeenv.InPrivateNetwork(m)) }
//
// Outside, it re-executes the test binary with the same arguments in a new
// network namespace (as `unshare --net` does; as root, or through a user
// namespace where unprivileged ones are allowed) and returns the child's exit
// code. Inside, it brings lo up with NamespaceHostIP/16, runs the tests and
// stops the shared Env (see RunMain). If no namespace can be made, it fails
// under CI=true and otherwise runs the tests outside, where
// RequirePrivateNetwork skips with the reason.
func InPrivateNetwork(m *testing.M) int {
	if parent := os.Getenv(netnsEnv); parent != "" {
		if err := setUpInside(parent); err != nil {
			fmt.Fprintln(os.Stderr, "kubeenv: set up private network namespace:", err)
			return setupFailedCode
		}
		privateNet.inside, privateNet.reason = true, ""
		return RunMain(m)
	}
	code, err := reexecInNewNetns()
	if err == nil {
		return code
	}
	privateNet.reason = err.Error()
	if harness.InCI() {
		fmt.Fprintf(os.Stderr, "kubeenv: FAIL: cannot run tests in a private network namespace (CI is set; run as root with unshare): %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "kubeenv: no private network namespace, tests that need one skip: %v\n", err)
	return RunMain(m)
}

// InsidePrivateNetwork reports whether this test binary runs inside the
// private network namespace that InPrivateNetwork made.
func InsidePrivateNetwork() bool { return privateNet.inside }

// RequirePrivateNetwork skips the test (fails it under CI=true) unless it
// runs inside the private network namespace.
func RequirePrivateNetwork(t testing.TB) {
	t.Helper()
	if !privateNet.inside {
		harness.Missing(t, "kubeenv: needs a private network namespace (root and unshare): %s", privateNet.reason)
	}
}
