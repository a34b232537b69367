package simulate

import (
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
)

// weftConfig is what weft generates for the pipeline goldens' sidecar
// (productpage-v1 in default) from one golden input.
func weftConfig(t *testing.T, input string) *Config {
	t.Helper()
	md, _ := structpb.NewStruct(map[string]any{
		"NAMESPACE": "default", "SERVICE_ACCOUNT": "bookinfo-productpage",
		"LABELS": map[string]any{"app": "productpage", "version": "v1"},
	})
	p, err := xds.ParseNode(&core.Node{Id: "sidecar~10.244.0.10~productpage-v1.default~default.svc.cluster.local", Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := envoy.Generate(translate.Translate(golden.Snapshot(t, "../pipeline/testdata/"+input), "golden"), p)
	return FromResources(res)
}

// hcmOf is the HTTP connection manager of the named listener.
func hcmOf(t *testing.T, c *Config, listener string) *listenerv3.Filter {
	t.Helper()
	for _, l := range c.Listeners {
		if l.GetName() != listener {
			continue
		}
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				if f.GetName() == filterHCM {
					return f
				}
			}
		}
	}
	t.Fatalf("no HTTP connection manager on listener %s", listener)
	return nil
}

func runWeft(t *testing.T, c *Config, listener string, req Request) *Result {
	t.Helper()
	res := &Result{}
	if err := c.httpConnectionManager(hcmOf(t, c, listener), &req, res); err != nil {
		t.Fatalf("simulate: %v", err)
	}
	return res
}

// weft's output for the canary golden: a request to reviews:9080 takes the
// reviews virtual host (domain with port, as sent) and splits 90/10
// between the v1 and v2 subsets; an unknown host takes allow_any to the
// passthrough cluster.
func TestWeftCanarySplit(t *testing.T) {
	c := weftConfig(t, "canary.in.yaml")
	req := Request{Protocol: HTTP1, DestIP: "10.96.0.20", DestPort: 9080, Authority: "reviews:9080", Method: "GET", Path: "/reviews/1"}
	res := runWeft(t, c, "0.0.0.0_9080", req)
	if res.RouteConfig != "9080" || res.VirtualHost != "reviews.default.svc.cluster.local:9080" || res.Failure != nil {
		t.Fatalf("route config %q virtual host %q failure %v", res.RouteConfig, res.VirtualHost, res.Failure)
	}
	want := []WeightedCluster{
		{"outbound|9080|v1|reviews.default.svc.cluster.local", 90, 0.9},
		{"outbound|9080|v2|reviews.default.svc.cluster.local", 10, 0.1},
	}
	if got := res.Action.Clusters; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("clusters %+v, want %+v", got, want)
	}
	if r := res.Action.Retry; r == nil || r.Attempts != 2 || *res.Action.Timeout != 0 {
		t.Errorf("retry %+v timeout %v: want weft's sidecar defaults (2 retries, no timeout)", r, res.Action.Timeout)
	}
	req.Authority = "example.com"
	if res := runWeft(t, c, "0.0.0.0_9080", req); res.VirtualHost != "allow_any" || res.Action.Clusters[0].Name != "PassthroughCluster" {
		t.Errorf("unknown host: virtual host %q clusters %+v", res.VirtualHost, res.Action.Clusters)
	}
}

// weft's output for the http-features golden: the header-matched,
// case-insensitive ab-treatment route takes the request with
// x-experiment-group: treatment, with its fault (per-route config of the
// fault filter), mirror and header edits; without the header the request
// falls to a later route.
func TestWeftHeaderMatchedRoute(t *testing.T) {
	c := weftConfig(t, "http-features.in.yaml")
	req := Request{Protocol: HTTP1, DestIP: "10.96.0.30", DestPort: 8080, Authority: "ratings:8080", Method: "GET", Path: "/API/stars",
		Headers: map[string]string{"x-experiment-group": "treatment"}}
	res := runWeft(t, c, "0.0.0.0_8080", req)
	if res.Route != "ab-treatment.0" || res.Failure != nil {
		t.Fatalf("route %q failure %v, want ab-treatment.0", res.Route, res.Failure)
	}
	a := res.Action
	if f := a.Fault; f == nil || f.AbortGRPCStatus != 14 || f.AbortProbability != 0.5 || f.DelayProbability != 0.125 {
		t.Errorf("fault %+v", f)
	}
	if len(a.Mirrors) != 1 || a.Mirrors[0].Probability != 0.25 {
		t.Errorf("mirrors %+v", a.Mirrors)
	}
	if a.RequestHeaders.Set["x-routed-by"] != "weft" || a.RequestHeaders.Append["x-trace"] != "on" || a.ResponseHeaders.Set["cache-control"] != "no-store" {
		t.Errorf("headers %+v / %+v", a.RequestHeaders, a.ResponseHeaders)
	}
	req.Headers = nil
	if res := runWeft(t, c, "0.0.0.0_8080", req); res.Route == "ab-treatment.0" {
		t.Errorf("without the header the request still took ab-treatment.0")
	}
}
