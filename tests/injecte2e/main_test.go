// Package injecte2e checks sidecar injection end to end: a real
// kube-apiserver calls weftd's injection webhook (served with a certificate
// from weftd's CA, trusted through the caBundle weftd patches) when the
// ReplicaSet controller creates pods.
package injecte2e

import (
	"os"
	"testing"

	"github.com/weftmesh/weft/tests/harness"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// TestMain builds weftd before the re-executed child inherits it. The API
// server must reach the webhook and pods need no real IPs, but the private
// namespace keeps every listener off the machine's network.
func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, harness.MainOptions{Prebuild: []string{"weftd"}, Run: kubeenv.InPrivateNetwork}))
}
