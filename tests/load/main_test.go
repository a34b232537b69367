package load

import (
	"fmt"
	"os"
	"testing"

	"github.com/weftmesh/weft/tests/e2e"
)

// TestMain builds cmd/weftd once (or uses $WEFTD_BIN) for the load test.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "weft-load-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	e2e.SetupWeftd(dir)
	return m.Run()
}
