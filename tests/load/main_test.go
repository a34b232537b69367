package load

import (
	"fmt"
	"os"
	"path/filepath"
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
	builtDir = dir
	return m.Run()
}

// builtDir is where SetupWeftd built weftd.
var builtDir string

// weftdBinary is the weftd binary SetupWeftd resolved, for tests that start
// weftd with the tool's own launcher (StartWeftd, Restart).
func weftdBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(e2e.WeftdBinEnv)
	if bin == "" {
		bin = filepath.Join(builtDir, "weftd")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no weftd binary: %v", err)
	}
	return bin
}
