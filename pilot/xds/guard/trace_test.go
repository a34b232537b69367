package guard

import (
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/config/kube"
	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/validation"
)

// traceBase is reviews (a pod labelled app=reviews) and details with an
// unrelated DestinationRule and VirtualService that must keep flowing.
const traceBase = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {clusterIP: 10.96.0.20, selector: {app: reviews}, ports: [{name: grpc, port: 9080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-1, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: grpc, port: 9080}]
endpoints:
- {addresses: [10.244.1.2], conditions: {ready: true}, targetRef: {kind: Pod, name: reviews-1}}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-1, namespace: default, labels: {app: reviews}}
spec: {containers: [{name: app, image: x}]}
status: {phase: Running, podIP: 10.244.1.2}
---
apiVersion: v1
kind: Service
metadata: {name: details, namespace: default}
spec: {clusterIP: 10.96.0.30, ports: [{name: grpc, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: details, namespace: default}
spec: {host: details, subsets: [{name: v2, labels: {version: v2}}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: details, namespace: default}
spec: {hosts: [details], http: [{route: [{destination: {host: details, subset: v2}}]}]}
---
`

const (
	ringDR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: hash, namespace: default}
spec: {host: reviews, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 10000000}}}}}
---
`
	extSE = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec: {hosts: [ext.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 1.2.3.4}]}
---
`
)

// longHostSE is a MESH_INTERNAL entry whose host is n bytes long; port
// 8443 makes its mTLS SNI n+18 bytes.
func longHostSE(n int) string {
	return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: long, namespace: default}
spec: {hosts: [` + longHost(n) + `], location: MESH_INTERNAL, ports: [{number: 8443, name: grpc, protocol: GRPC}], resolution: STATIC, endpoints: [{address: 1.2.3.4, labels: {v: one}}]}
---
`
}

func longHost(n int) string {
	return strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", n-195) + ".example.com"
}

// longHostDR defines subset "one" of longHostSE(n).
func longHostDR(n int) string {
	return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: long, namespace: default}
spec: {host: ` + longHost(n) + `, subsets: [{name: one, labels: {v: one}}]}
---
`
}

// Each input produces a cluster, endpoints or a listener Envoy refuses.
// The guard names the resource responsible, leaves it out, and the rest of
// the mesh (details' routing to v2) is still served, all of it valid.
// validated says whether weft's validation refuses the input first; the
// guard is the net for what it misses (Istio's own validation lets the
// ring size, the weight sum and the SNI length through; weft's still
// misses a subset name taking the SNI over, which needs the entry's host).
// No PeerAuthentication input validation accepts makes invalid output, and
// no Sidecar input at all: a Sidecar only narrows what a proxy sees.
func TestTraceLeavesOutTheResponsibleResource(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // rejected resources
		what       string   // in the diagnostic: the output that was invalid
		validated  bool
	}{
		{"DestinationRule ring hash above Envoy's bound", ringDR,
			[]string{"DestinationRule default/hash"}, "Cluster outbound|9080||reviews.default.svc.cluster.local", true},
		{"deprecated minimumRingSize", strings.Replace(ringDR, "ringHash: {minimumRingSize: 10000000}", "minimumRingSize: 10000000", 1),
			[]string{"DestinationRule default/hash"}, "MinimumRingSize", true},
		{"a DestinationRule breaking a valid ServiceEntry's cluster: the rule, not the entry",
			extSE + strings.Replace(ringDR, "host: reviews", "host: ext.example.com", 1),
			[]string{"DestinationRule default/hash"}, "Cluster outbound|80||ext.example.com", true},
		{"ServiceEntry port above 65535", strings.Replace(extSE, "number: 80", "number: 70000", 1),
			[]string{"ServiceEntry default/ext"}, "outbound|70000||ext.example.com", true},
		{"ServiceEntry endpoint port above 65535", strings.Replace(extSE, "{address: 1.2.3.4}", "{address: 1.2.3.4, ports: {http: 70000}}", 1),
			[]string{"ServiceEntry default/ext"}, "ClusterLoadAssignment outbound|80||ext.example.com", true},
		{"ServiceEntry weights summing above 2^32-1",
			strings.Replace(extSE, "{address: 1.2.3.4}", "{address: 1.2.3.4, weight: 4294967295}, {address: 1.2.3.5, weight: 2}", 1),
			[]string{"ServiceEntry default/ext"}, "exceeds 4294967295", true},
		{"PeerAuthentication port above 65535", `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: reviews, namespace: default}
spec: {selector: {matchLabels: {app: reviews}}, mtls: {mode: STRICT}, portLevelMtls: {70000: {mode: DISABLE}}}
---
`, []string{"PeerAuthentication default/reviews"}, "Listener virtualInbound", true},
		// outbound_.PORT_.SUBSET_.HOST, the SNI of mesh mTLS, is longer
		// than the 255 bytes Envoy takes. The DestinationRule's subset
		// cluster breaks with it, but the entry is to blame.
		{"ServiceEntry host too long for the mTLS SNI", longHostSE(245) + longHostDR(245),
			[]string{"ServiceEntry default/long"}, "UpstreamTlsContext.Sni", true},
		// Validation lets this through (Istio's too): the entry alone fits,
		// the subset's name takes the SNI over 255 bytes.
		{"DestinationRule subset taking the mTLS SNI over 255 bytes", longHostSE(237) + longHostDR(237),
			[]string{"DestinationRule default/long"}, "UpstreamTlsContext.Sni", false},
		{"two bad resources are both named", ringDR + strings.Replace(extSE, "number: 80", "number: 70000", 1),
			[]string{"DestinationRule default/hash", "ServiceEntry default/ext"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := golden.SnapshotOf(t, "in.yaml", []byte(traceBase+tt.yaml))
			if refused := len(validation.ValidateSnapshot(s)) > 0; refused != tt.validated {
				t.Errorf("validation refuses it: %v, want %v", refused, tt.validated)
			}
			m := Translate(s, "1", translate.Options{}) // not validated: as if validation had let it through
			var got []string
			for _, d := range m.Diagnostics {
				if d.Rejected() {
					got = append(got, d.Ref.String())
					if !strings.Contains(d.Message, tt.what) {
						t.Errorf("%s: message %q does not name %q", d.Ref, d.Message, tt.what)
					}
				}
			}
			if slices.Sort(got); !slices.Equal(got, tt.want) {
				t.Fatalf("rejected %v, want %v", got, tt.want)
			}
			if f := checkOutput(m, serviceEntryHosts(s), true, true); len(f) != 0 {
				t.Fatalf("output still invalid: %s %s: %v", f[0].typ, f[0].name, f[0].err)
			}
			if m.ClusterNamed("outbound|9080|v2|details.default.svc.cluster.local") == nil || len(m.VirtualHost("details.default.svc.cluster.local", 9080).HTTPRoutes) != 1 {
				t.Fatal("the unrelated DestinationRule and VirtualService of details were not served")
			}
		})
	}
}

// A valid mesh is translated once and left as it is.
func TestTraceValidMeshUntouched(t *testing.T) {
	m := Translate(golden.SnapshotOf(t, "in.yaml", []byte(traceBase+extSE)), "1", translate.Options{})
	for _, d := range m.Diagnostics {
		if d.Rejected() {
			t.Fatalf("rejected %s: %s", d.Ref, d.Message)
		}
	}
	if m.Service("ext.example.com") == nil {
		t.Fatal("the ServiceEntry was left out")
	}
}

// Kubernetes status names the left-out DestinationRule Accepted=False with
// the cluster it would break, as for a VirtualService the guard rejects.
func TestTraceRejectionIsStatus(t *testing.T) {
	s := golden.SnapshotOf(t, "in.yaml", []byte(traceBase+ringDR))
	m := Translate(s, "1", translate.Options{})
	var objs []config.Resource
	s.Each(func(o config.Object) { objs = append(objs, o.Resource) })
	c := kube.DesiredConditions(objs, nil, m.Diagnostics)[config.Key{Kind: "DestinationRule", Namespace: "default", Name: "hash"}]
	if c.Status != metav1.ConditionFalse || c.Reason != mesh.ReasonInvalidEnvoyConfig || !strings.Contains(c.Message, "MinimumRingSize") {
		t.Fatalf("condition %+v, want Accepted=False InvalidEnvoyConfig naming the ring size", c)
	}
	if c := kube.DesiredConditions(objs, nil, m.Diagnostics)[config.Key{Kind: "DestinationRule", Namespace: "default", Name: "details"}]; c.Status != metav1.ConditionTrue {
		t.Fatalf("the unrelated DestinationRule: %+v", c)
	}
}

// A resource left out stays a suspect: the next push with it still in
// place finds it with one trial, ahead of the candidates before it.
func TestTraceTriesLastCulpritFirst(t *testing.T) {
	var many strings.Builder
	for _, ns := range []string{"a", "b", "c", "d"} { // "reviews" rules of other namespaces, tried before default's
		many.WriteString(strings.NewReplacer("namespace: default", "namespace: "+ns, "minimumRingSize: 10000000", "minimumRingSize: 1024").Replace(ringDR))
	}
	s := golden.SnapshotOf(t, "in.yaml", []byte(traceBase+many.String()+ringDR))
	trials := func() int64 {
		before := trialCount.Load()
		m := Translate(s, "1", translate.Options{})
		if got := Rejected(m.Diagnostics); len(got) != 1 || got[0].Name != "hash" {
			t.Fatalf("rejected %v, want DestinationRule default/hash", got)
		}
		return trialCount.Load() - before
	}
	suspects.remember(nil)
	if first := trials(); first < 5 {
		t.Fatalf("first trace took %d trials, want the four valid rules tried first", first)
	}
	if again := trials(); again != 1 {
		t.Fatalf("second trace took %d trials, want 1", again)
	}
}

// A change of VirtualServices alone (a canary weight) does not build and
// check every cluster again when the rest of the config last passed; any
// other change does, and a bad DestinationRule is still left out.
func TestClustersCheckedOnlyWhenTheirInputsChange(t *testing.T) {
	cleanClusters.remember(nil, nil)
	cleanListeners.remember(nil, nil)
	snap := func(docs string) *config.Snapshot { return golden.SnapshotOf(t, "in.yaml", []byte(docs)) }
	checks := func(docs string) (int64, *mesh.Mesh) {
		before := clusterChecks.Load()
		m := Translate(snap(docs), "1", translate.Options{})
		return clusterChecks.Load() - before, m
	}
	base := traceBase + extSE // the entry's cluster is one config shapes: checked
	if n, _ := checks(base); n == 0 {
		t.Fatal("the first translation checked no cluster")
	}
	routed := strings.Replace(base, "http: [{route:", "http: [{timeout: 3s, route:", 1)
	if n, _ := checks(routed); n != 0 {
		t.Errorf("a VirtualService change checked %d clusters again", n)
	}
	n, m := checks(routed + ringDR)
	if n == 0 {
		t.Fatal("a new DestinationRule did not have its clusters checked")
	}
	if !rejects(m, "DestinationRule default/hash") {
		t.Errorf("the bad DestinationRule was not left out: %v", m.Diagnostics)
	}
}

func rejects(m *mesh.Mesh, ref string) bool {
	for _, d := range m.Diagnostics {
		if d.Rejected() && d.Ref.String() == ref {
			return true
		}
	}
	return false
}

// Listeners are built and checked again when anything but VirtualServices'
// HTTP rules changes: a tcp rule counts, a route timeout does not.
func TestListenersCheckedOnlyWhenTheirInputsChange(t *testing.T) {
	cleanListeners.remember(nil, nil)
	checks := func(docs, version string) (int64, *mesh.Mesh) {
		before := listenerChecks.Load()
		m := Translate(golden.SnapshotOf(t, "in.yaml", []byte(docs)), version, translate.Options{})
		return listenerChecks.Load() - before, m
	}
	if n, _ := checks(traceBase, "1"); n == 0 {
		t.Fatal("the first translation checked no listener")
	}
	routed := strings.Replace(traceBase, "http: [{route:", "http: [{timeout: 3s, route:", 1)
	if n, m := checks(routed, "2"); n != 0 || m.SameListenersAs != "1" {
		t.Errorf("an HTTP rule change checked %d probe proxies' listeners again (SameListenersAs %q)", n, m.SameListenersAs)
	}
	tcp := strings.Replace(routed, "spec: {hosts: [details], http:", "spec: {hosts: [details], tcp: [{route: [{destination: {host: details}}]}], http:", 1)
	if n, m := checks(tcp, "3"); n == 0 || m.SameListenersAs != "" {
		t.Errorf("a tcp rule change checked %d listeners (SameListenersAs %q), want a check and no reuse", n, m.SameListenersAs)
	}
}
