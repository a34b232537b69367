// Package injecte2e checks sidecar injection end to end: a real
// kube-apiserver calls weftd's injection webhook (served with a certificate
// from weftd's CA, trusted through the caBundle weftd patches) when the
// ReplicaSet controller creates pods.
package injecte2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/weftmesh/weft/tests/e2e"
	"github.com/weftmesh/weft/tests/kubeenv"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "weft-injecte2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "injecte2e:", err)
		os.Exit(1)
	}
	code := run(m, dir)
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(m *testing.M, dir string) int {
	// The re-executed child inherits WEFTD_BIN, so weftd is built once.
	if os.Getenv(e2e.WeftdBinEnv) == "" {
		if root, err := e2e.ModuleRoot(); err == nil {
			if bin, err := e2e.BuildWeftd(root, dir); err == nil {
				os.Setenv(e2e.WeftdBinEnv, bin)
			}
		}
	}
	e2e.SetupWeftd(dir)
	// The API server must reach the webhook and pods need no real IPs, but
	// the private namespace keeps every listener off the machine's network.
	return kubeenv.InPrivateNetwork(m)
}
