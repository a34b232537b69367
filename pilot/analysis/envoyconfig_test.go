package analysis

import (
	"strings"
	"testing"

	"github.com/weftmesh/weft/pilot/golden"
)

// noFixture are codes no analyze fixture can reach: WFT0118 reports what
// validation failed to refuse, and validation refuses every such input
// known (FuzzAcceptedConfigIsValidEnvoy), so its test bypasses validation.
var noFixture = map[string]bool{CodeInvalidEnvoyConfig: true}

// A VirtualService whose route Envoy would refuse is named by analyze,
// as weftd leaves it out; the VirtualService next to it is not.
func TestAnalyzeReportsInvalidEnvoyConfig(t *testing.T) {
	const docs = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {clusterIP: 10.96.0.9, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bad, namespace: default}
spec:
  hosts: [reviews]
  http:
  - headers: {request: {set: {x-a: "a\nb"}}}
    route: [{destination: {host: reviews}}]
`
	c := newContext(golden.SnapshotOf(t, "in.yaml", []byte(docs))) // not validated: as if validation had let it through
	analyzeTranslateDiagnostics(c)
	if len(c.out) != 1 {
		t.Fatalf("got %d messages, want 1: %v", len(c.out), c.out)
	}
	m := c.out[0]
	if m.Code != CodeInvalidEnvoyConfig || m.Severity != Error || m.Resource() != "VirtualService default/bad" ||
		m.Err.Field != "spec.http[0]" || !strings.Contains(m.Err.Message, "HeaderValue.Value") {
		t.Fatalf("got %s at %s: %s", m.Code, m.Err.Field, m.Err.Message)
	}
}

// A DestinationRule whose cluster Envoy would refuse is named too, with
// the cluster it breaks; the Service it applies to is still served.
func TestAnalyzeReportsInvalidCluster(t *testing.T) {
	const docs = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {clusterIP: 10.96.0.9, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: hash, namespace: default}
spec: {host: reviews, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 10000000}}}}}
`
	c := newContext(golden.SnapshotOf(t, "in.yaml", []byte(docs))) // not validated: as if validation had let it through
	analyzeTranslateDiagnostics(c)
	if len(c.out) != 1 {
		t.Fatalf("got %d messages, want 1: %v", len(c.out), c.out)
	}
	m := c.out[0]
	if m.Code != CodeInvalidEnvoyConfig || m.Resource() != "DestinationRule default/hash" ||
		!strings.Contains(m.Err.Message, "Cluster outbound|9080||reviews.default.svc.cluster.local") {
		t.Fatalf("got %s on %s: %s", m.Code, m.Resource(), m.Err.Message)
	}
	if c.Mesh.ClusterNamed("outbound|9080||reviews.default.svc.cluster.local") == nil {
		t.Fatal("reviews' cluster is gone with the rule")
	}
}
