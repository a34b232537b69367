package e2e

import (
	"fmt"
	"os"
	"testing"
)

// TestMain builds cmd/weftd once for all tests in this binary. When re-executed
// with fakeWeftdEnv set, the test binary plays a fake weftd for harness tests.
func TestMain(m *testing.M) {
	if os.Getenv(fakeWeftdEnv) == "1" {
		os.Exit(runFakeWeftd(os.Args[1:]))
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "weft-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	SetupWeftd(dir)
	return m.Run()
}
