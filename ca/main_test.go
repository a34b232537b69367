package ca

import (
	"os"
	"testing"

	"github.com/weftmesh/weft/tests/kubeenv"
)

// TestMain shares one real API server (etcd + kube-apiserver, no
// controller-manager) between the Kubernetes-mode tests; the others never
// start it. No pod IPs are needed, so no private network namespace.
func TestMain(m *testing.M) {
	os.Exit(kubeenv.RunMain(m))
}

// kubeEnv returns the shared control plane. Without the controller-manager
// namespaces are never finalized after deletion; they stay Terminating,
// which the root-cert publisher skips, as it must in a real cluster.
func kubeEnv(t testing.TB) *kubeenv.Env {
	t.Helper()
	return kubeenv.Shared(t, kubeenv.Options{WithoutControllerManager: true})
}
