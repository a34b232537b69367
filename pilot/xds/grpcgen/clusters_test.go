package grpcgen_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
)

// clustersMesh has one service per way a route can reference clusters: a
// canary split with a source-scoped rule, a blue-green switch with a
// zero-weight standby, a mirror, rules that forward nowhere, a route to
// another host, and a service no VirtualService covers.
const clustersMesh = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: apps, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local, ratings.default.svc.cluster.local, details.default.svc.cluster.local, shadow.default.svc.cluster.local, plain.default.svc.cluster.local]
  ports: [{number: 9080, name: grpc, protocol: GRPC}]
  resolution: STATIC
  endpoints:
  - {address: 10.244.1.2, labels: {version: v1, color: blue}}
  - {address: 10.244.1.3, labels: {version: v2, color: green}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings, namespace: default}
spec:
  host: ratings
  subsets: [{name: blue, labels: {color: blue}}, {name: green, labels: {color: green}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{sourceLabels: {app: tester}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - match: [{uri: {prefix: /ratings}}]
    route: [{destination: {host: ratings, subset: green}}]
  - mirror: {host: shadow}
    route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v2}, weight: 10}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - route:
    - {destination: {host: ratings, subset: blue}, weight: 100}
    - {destination: {host: ratings, subset: green}, weight: 0}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: details, namespace: default}
spec:
  hosts: [details]
  http:
  - match: [{uri: {prefix: /old}}]
    redirect: {uri: /new}
  - directResponse: {status: 503}
`

// Proxyless generation sends exactly the clusters its routes reference:
// derived from the IR, they must equal what the built routes name, which
// is what the server's make-before-break reads back from routes.
func TestClustersAreWhatRoutesReference(t *testing.T) {
	m := clustersTestMesh(t)
	const reviews, ratings = "|reviews.default.svc.cluster.local", "|ratings.default.svc.cluster.local"
	tests := []struct {
		target string
		labels map[string]any
		want   []string
	}{
		{"reviews:9080", nil, []string{ // split, the ratings rule, and the warm route over both hosts' subsets
			"outbound|9080|" + ratings, "outbound|9080|blue" + ratings, "outbound|9080|green" + ratings,
			"outbound|9080|" + reviews, "outbound|9080|v1" + reviews, "outbound|9080|v2" + reviews}},
		{"ratings:9080", nil, []string{ // the standby serves nothing but is warm
			"outbound|9080|" + ratings, "outbound|9080|blue" + ratings, "outbound|9080|green" + ratings}},
		{"details:9080", nil, nil}, // redirects and fixed answers forward nowhere
		{"plain:9080", nil, []string{"outbound|9080||plain.default.svc.cluster.local"}},
		{"shadow:9080", map[string]any{"app": "tester"}, []string{"outbound|9080||shadow.default.svc.cluster.local"}},
	}
	for _, tt := range tests {
		res, _ := grpcgen.Generate(m, clustersTestProxy(t, tt.labels), []string{tt.target})
		sent := slices.Sorted(maps.Keys(res[resource.ClusterType]))
		if !slices.Equal(sent, slices.Sorted(slices.Values(tt.want))) {
			t.Errorf("%s: clusters sent %v, want %v", tt.target, sent, tt.want)
		}
		referenced := map[string]bool{}
		for _, r := range res[resource.RouteType] {
			grpcgen.AddRouteClusters(referenced, r.(*routev3.RouteConfiguration))
		}
		if !slices.Equal(sent, slices.Sorted(maps.Keys(referenced))) {
			t.Errorf("%s: clusters sent %v, routes reference %v", tt.target, sent, slices.Sorted(maps.Keys(referenced)))
		}
		if eds := slices.Sorted(maps.Keys(res[resource.EndpointType])); !slices.Equal(eds, sent) {
			t.Errorf("%s: endpoints for %v, clusters %v", tt.target, eds, sent)
		}
	}
}

// A source-scoped rule that applies to the proxy adds its cluster; for
// other proxies the rule is gone and so is its cluster.
func TestScopedRuleClusters(t *testing.T) {
	m := clustersTestMesh(t)
	for _, labels := range []map[string]any{nil, {"app": "tester"}} {
		res, _ := grpcgen.Generate(m, clustersTestProxy(t, labels), []string{"reviews:9080"})
		rc := res[resource.RouteType]["reviews:9080"].(*routev3.RouteConfiguration)
		referenced := map[string]bool{}
		grpcgen.AddRouteClusters(referenced, rc)
		if got := slices.Sorted(maps.Keys(res[resource.ClusterType])); !slices.Equal(got, slices.Sorted(maps.Keys(referenced))) {
			t.Errorf("labels %v: clusters %v, routes reference %v", labels, got, slices.Sorted(maps.Keys(referenced)))
		}
		routes := rc.GetVirtualHosts()[0].GetRoutes()
		if scoped := strings.HasPrefix(routes[0].GetName(), "default/reviews.http[0]"); scoped != (labels != nil) {
			t.Errorf("labels %v: first route %s", labels, routes[0].GetName())
		}
	}
}

func clustersTestMesh(t *testing.T) *mesh.Mesh {
	t.Helper()
	objs, errs := config.Decode("clusters.yaml", []byte(clustersMesh))
	for _, e := range errs {
		t.Fatalf("decode: %v", e)
	}
	b := config.NewBuilder()
	for _, o := range objs {
		if err := b.Add(o); err != nil {
			t.Fatalf("add: %v", err)
		}
	}
	m := translate.Translate(b.Finish(), "clusters")
	for _, d := range m.Diagnostics {
		t.Logf("diagnostic: %+v", d)
	}
	return m
}

func clustersTestProxy(t *testing.T, labels map[string]any) *xds.Proxy {
	t.Helper()
	md, err := structpb.NewStruct(map[string]any{"NAMESPACE": "default", "GENERATOR": "grpc", "LABELS": labels})
	if err != nil {
		t.Fatal(err)
	}
	p, err := xds.ParseNode(&core.Node{Id: "sidecar~10.244.0.10~client.default~default.svc.cluster.local", Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
