package weftctle2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// meshInCluster is a small mesh with two problems analyze must find from
// the cluster alone: a route to a host nothing defines, and a subset that
// selects no pod. The Namespace and Pod make it injected and meshed.
const meshInCluster = `apiVersion: v1
kind: Namespace
metadata: {name: analyzed, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: analyzed}
spec:
  selector: {app: reviews}
  ports: [{name: grpc, port: 9080, targetPort: 9080}]
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: analyzed, labels: {app: reviews, version: v1, security.istio.io/tlsMode: istio}}
spec: {containers: [{name: reviews, image: reviews:v1}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: analyzed}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: analyzed}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {end-user: {exact: jason}}}]
    route: [{destination: {host: ratings}}]
  - route: [{destination: {host: reviews, subset: v1}}]
`

// TestAnalyzeCluster: analyze --kubeconfig lists the resources from a real
// API server and reports on the chosen namespace; -f files replace the
// cluster's copies, so a fix can be checked before it is applied.
func TestAnalyzeCluster(t *testing.T) {
	env := sharedEnv(t)
	mustKubectl(t, env, meshInCluster, "apply", "-f", "-")
	out, code := run(t, "analyze", "--kubeconfig", env.Kubeconfig, "-n", "analyzed")
	t.Logf("analyze -n analyzed:\n%s", out)
	for _, want := range []string{
		"Error [IST0101] VirtualService analyzed/reviews: spec.http[0].route[0].destination.host: host ratings.analyzed.svc.cluster.local not found",
		"Error [IST0173] DestinationRule analyzed/reviews: spec.subsets[1].labels: subset v2 selects no pod",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if code != 1 || strings.Count(strings.TrimSpace(out), "\n") != 1 {
		t.Errorf("exit %d with %d lines, want exit 1 with exactly the two messages", code, strings.Count(out, "\n"))
	}
	if out, _ := run(t, "analyze", "--kubeconfig", env.Kubeconfig, "-n", "default"); strings.Contains(out, "analyzed/") {
		t.Errorf("-n default reported on another namespace:\n%s", out)
	}
	fixed := strings.Replace(strings.Replace(meshInCluster, "host: ratings", "host: reviews", 1), "  - {name: v2, labels: {version: v2}}\n", "", 1)
	f := filepath.Join(t.TempDir(), "fixed.yaml")
	must(t, os.WriteFile(f, []byte(fixed), 0o644))
	if out, code := run(t, "analyze", "--kubeconfig", env.Kubeconfig, "-n", "analyzed", "-f", f); code != 0 || out != "" {
		t.Errorf("with the fix from -f: exit %d:\n%s", code, out)
	}
}
