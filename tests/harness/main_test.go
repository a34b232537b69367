package harness

import (
	"os"
	"testing"
)

// TestMain: when re-executed with fakeWeftdEnv set, the test binary plays a
// fake weftd for the lifecycle test.
func TestMain(m *testing.M) {
	if os.Getenv(fakeWeftdEnv) == "1" {
		os.Exit(runFakeWeftd(os.Args[1:]))
	}
	os.Exit(Main(m, MainOptions{}))
}
