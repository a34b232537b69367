// Package harness is the one test harness for weft's end-to-end suites: it
// builds weft's commands once per test binary (or takes WEFTD_BIN,
// WEFT_AGENT_BIN and WEFTCTL_BIN from make), starts weftd in file or
// Kubernetes mode through internal/weftdproc with its output in the test
// log, reads weftd's debug endpoints, and makes the one decision between
// skipping and failing when a prerequisite is missing.
package harness

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// InCI reports whether CI is set (to anything but "false", as pilot/golden
// reads it): then a missing prerequisite fails instead of skipping. make
// test sets it.
func InCI() bool {
	v := strings.TrimSpace(os.Getenv("CI"))
	return v != "" && !strings.EqualFold(v, "false")
}

// Missing reports a missing prerequisite (a binary, root, unshare,
// Kubernetes binaries, iptables): the test fails under CI and skips
// otherwise, so `go test ./...` stays usable for quick local runs.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s (CI is set: a missing prerequisite fails the run)", msg)
	}
	t.Skipf("skipping: %s (set CI=true to make this a failure)", msg)
}

// MainOptions shape a package's TestMain.
type MainOptions struct {
	// Prebuild names commands to resolve before Run and export through
	// BinEnv, so a re-executed child (kubeenv.InPrivateNetwork) inherits
	// them instead of building inside a namespace without network.
	Prebuild []string
	// Run runs the tests; default m.Run.
	Run func(*testing.M) int
}

// Main is a TestMain body: it prebuilds, runs the tests and removes the
// binaries it built.
//
//	func TestMain(m *testing.M) { os.Exit(harness.Main(m, harness.MainOptions{})) }
func Main(m *testing.M, opts MainOptions) int {
	defer cleanBuilds()
	for _, name := range opts.Prebuild {
		path, err := Resolve(name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "harness: %s: %v (tests needing it will report this)\n", name, err)
			continue
		}
		os.Setenv(BinEnv[name], path)
	}
	if opts.Run == nil {
		return m.Run()
	}
	return opts.Run(m)
}
