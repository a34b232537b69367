package kubee2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// The install manifest applies to a real API server, and the CRD schemas
// it installs are what kubectl explain shows.
func TestInstallManifestApplies(t *testing.T) {
	env := sharedEnv(t)
	out := kubectl(t, env, "apply", "-f", filepath.Join(repoRoot(t), "manifests", "install.yaml"))
	for _, want := range []string{"namespace/weft-system", "deployment.apps/weftd", "customresourcedefinition.apiextensions.k8s.io/virtualservices.networking.istio.io"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl apply output lacks %q:\n%s", want, out)
		}
	}
	replicas := kubectl(t, env, "get", "deployment", "weftd", "-n", "weft-system", "-o", "jsonpath={.spec.replicas}")
	if replicas != "2" {
		t.Errorf("weftd replicas = %q, want 2", replicas)
	}
	explain := kubectl(t, env, "explain", "virtualservice.spec.http.route")
	for _, want := range []string{"destination", "weight", "headers"} {
		if !strings.Contains(explain, want) {
			t.Errorf("kubectl explain virtualservice.spec.http.route lacks %q:\n%s", want, explain)
		}
	}
}
