// Package load_test runs the load tool's library (internal/load) against a
// real weftd for correctness on a small fleet; timings are logged, not
// asserted (they belong to make bench-load).
package load_test

import (
	"os"
	"testing"

	"github.com/weftmesh/weft/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m, harness.MainOptions{})) }
