// Package e2e runs weftd as a subprocess against real proxyless gRPC apps
// (internal/grpcapp); each test starts its own weftd through tests/harness on
// free 127.0.0.1 ports with a private config directory.
package e2e

import (
	"os"
	"testing"

	"github.com/weftmesh/weft/tests/harness"
)

func TestMain(m *testing.M) { os.Exit(harness.Main(m, harness.MainOptions{})) }
