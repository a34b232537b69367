package simulate

import (
	"slices"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
)

// weftResources are the sidecar resources weft generates for the golden
// proxy (productpage-v1 in default) from a pipeline fixture.
func weftResources(t testing.TB, fixture string) xds.Resources {
	t.Helper()
	m := translate.Translate(golden.Snapshot(t, "../pipeline/testdata/"+fixture), "test")
	md, err := structpb.NewStruct(map[string]any{
		"NAMESPACE": "default", "SERVICE_ACCOUNT": "bookinfo-productpage",
		"LABELS": map[string]any{"app": "productpage", "version": "v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := xds.ParseNode(&core.Node{Id: "sidecar~10.244.0.10~productpage-v1.default~default.svc.cluster.local", Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := envoy.Generate(m, p)
	return res
}

// On weft's own output: auto mTLS sends Istio mTLS to endpoints whose pod
// has a proxy (tlsMode=istio), plaintext to the others; ISTIO_MUTUAL with
// explicit SANs uses them; DISABLE is plaintext without matches.
func TestUpstreamWeftMTLS(t *testing.T) {
	c := FromResources(weftResources(t, "mtls.in.yaml"))
	tests := []struct {
		cluster, socket, endpoint, sni string
		sans                           []string
	}{
		{"outbound|9080||reviews.default.svc.cluster.local", "plaintext", "istio-mtls",
			"outbound_.9080_._.reviews.default.svc.cluster.local", []string{"spiffe://cluster.local/ns/default/sa/bookinfo-reviews"}},
		{"outbound|9080||ratings.legacy.svc.cluster.local", "istio-mtls", "",
			"outbound_.9080_._.ratings.legacy.svc.cluster.local", []string{"spiffe://cluster.local/ns/legacy/sa/ratings"}},
		{"outbound|9080||details.default.svc.cluster.local", "plaintext", "", "", nil},
	}
	for _, tt := range tests {
		res := run(t, c, tt.cluster, httpReq)
		up := res.Upstreams[0]
		if res.Failure != nil || len(up.Endpoints) != 1 {
			t.Fatalf("%s: failure %v, endpoints %+v", tt.cluster, res.Failure, up.Endpoints)
		}
		ep := up.Endpoints[0]
		if up.TransportSocket != tt.socket || ep.TransportSocket != tt.endpoint || up.SNI != tt.sni || !slices.Equal(up.SANs, tt.sans) {
			t.Errorf("%s: cluster %s, endpoint %q, sni %q, sans %q; want %s, %q, %q, %q",
				tt.cluster, up.TransportSocket, ep.TransportSocket, up.SNI, up.SANs, tt.socket, tt.endpoint, tt.sni, tt.sans)
		}
	}
}

// On weft's output for a DestinationRule with subsets: a subset cluster
// holds only its subset's pods, with the subset's load balancer and the
// rule's circuit breakers; pods without a proxy get plaintext through the
// tlsMode-disabled match.
func TestUpstreamWeftSubset(t *testing.T) {
	c := FromResources(weftResources(t, "destinationrule.in.yaml"))
	res := run(t, c, "outbound|7070|v1|details.shop.svc.cluster.local", httpReq)
	up := res.Upstreams[0]
	want := Endpoint{Address: "10.244.3.2:7070", Weight: 1, LocalityWeight: 1, Healthy: true, TransportSocket: "plaintext"}
	if res.Failure != nil || len(up.Endpoints) != 1 || up.Endpoints[0] != want {
		t.Fatalf("subset v1 endpoints = %+v (failure %v), want [%+v]", up.Endpoints, res.Failure, want)
	}
	cb := CircuitBreakers{MaxConnections: 100, MaxPendingRequests: 10, MaxRequests: 1000, MaxRetries: 3}
	if up.Type != "EDS" || up.LB != "RING_HASH" || up.CircuitBreakers == nil || *up.CircuitBreakers != cb {
		t.Fatalf("subset v1 = %s %s %+v, want EDS RING_HASH %+v", up.Type, up.LB, up.CircuitBreakers, cb)
	}
	all := run(t, c, "outbound|7070||details.shop.svc.cluster.local", httpReq).Upstreams[0]
	if len(all.Endpoints) != 2 || all.LB != "LEAST_REQUEST" {
		t.Fatalf("whole service = %s %+v, want LEAST_REQUEST over both pods", all.LB, all.Endpoints)
	}
}

// weft's catch-all clusters: BlackHoleCluster has no hosts (503 UH, or a
// closed connection for TCP); PassthroughCluster goes to the original
// destination, and InboundPassthroughCluster binds 127.0.0.6.
func TestUpstreamWeftCatchAll(t *testing.T) {
	c := FromResources(weftResources(t, "mtls.in.yaml"))
	if f := run(t, c, envoy.BlackHoleCluster, tcpReq).Failure; f == nil || f.Status != 0 || f.Flag != "UH" {
		t.Errorf("BlackHoleCluster over TCP: failure %v, want connection closed UH", f)
	}
	eps := run(t, c, envoy.PassthroughCluster, tcpReq).Upstreams[0].Endpoints
	if len(eps) != 1 || eps[0].Address != "10.96.0.20:9080" {
		t.Errorf("PassthroughCluster endpoints = %+v, want the original destination", eps)
	}
	if res := run(t, c, envoy.InboundPassthroughCluster, tcpReq); !traceHas(res, "127.0.0.6") {
		t.Errorf("InboundPassthroughCluster trace %v, want its 127.0.0.6 source address", res.Trace)
	}
}
