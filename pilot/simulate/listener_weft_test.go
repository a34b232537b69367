package simulate

import (
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
)

// lisWeftProxy is the pipeline goldens' proxy: productpage-v1
// (10.244.0.10) in default.
func lisWeftProxy(t *testing.T, proxyless bool) *xds.Proxy {
	t.Helper()
	md, _ := structpb.NewStruct(map[string]any{
		"NAMESPACE": "default", "SERVICE_ACCOUNT": "bookinfo-productpage",
		"LABELS": map[string]any{"app": "productpage", "version": "v1"},
	})
	if proxyless {
		md.Fields["GENERATOR"] = structpb.NewStringValue("grpc")
		md.Fields["CERT_PROVIDERS"] = structpb.NewStringValue("default")
	}
	p, err := xds.ParseNode(&core.Node{Id: "sidecar~10.244.0.10~productpage-v1.default~default.svc.cluster.local", Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func lisHTTP(r *Request) *Request {
	r.Protocol = HTTP1
	return r
}

// lisWeftSidecar is weft's sidecar config for a pipeline golden input.
func lisWeftSidecar(t *testing.T, input string) *Config {
	m := translate.Translate(golden.Snapshot(t, "../pipeline/testdata/"+input), "golden")
	res, _ := envoy.Generate(m, lisWeftProxy(t, false))
	return FromResources(res)
}

// Weft's sidecar output, mtls golden: outbound HTTP goes through
// virtualOutbound to the per-port listener, unknown destinations stay
// on the passthrough chain; inbound stays on virtualInbound and its
// chains split by port (original_dst) and mTLS mode (STRICT on 9080,
// DISABLE on 9090); ports no Service declares follow the workload's
// STRICT too.
func TestWeftSidecarConnection(t *testing.T) {
	c := lisWeftSidecar(t, "mtls.in.yaml")
	inbound := func(port uint32, tls bool) *Request {
		r := lisIn(port)
		if tls {
			lisTLS("outbound_.9080_._.productpage.default.svc.cluster.local", "istio")(r)
		}
		return r
	}
	cases := []struct {
		name            string
		req             *Request
		listener, chain string
		failed          bool
	}{
		{"outbound HTTP to reviews' service IP", lisHTTP(lisOutbound("10.96.0.20", 9080)), "0.0.0.0_9080", "#0", false},
		// istiod: non-HTTP bytes on an HTTP port fall through to the unknown-destination cluster.
		{"outbound raw TCP to reviews' HTTP port", lisOutbound("10.96.0.20", 9080), "0.0.0.0_9080", "PassthroughFilterChain", false},
		{"outbound to an unknown destination", lisOutbound("1.2.3.4", 443), "virtualOutbound", "virtualOutbound-catchall-tcp", false},
		{"inbound mTLS to 9080", inbound(9080, true), "virtualInbound", "0.0.0.0_9080", false},
		{"inbound plaintext to STRICT 9080", inbound(9080, false), "virtualInbound", "0.0.0.0_9080", true},
		{"inbound plaintext to DISABLE 9090", inbound(9090, false), "virtualInbound", "0.0.0.0_9090", false},
		{"inbound plaintext to an undeclared port under STRICT", inbound(8000, false), "virtualInbound", "", true},
		{"inbound mTLS to an undeclared port under STRICT", inbound(8000, true), "virtualInbound", "virtualInbound", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := &Result{}
			_, _, err := c.connection(tc.req, res)
			if err != nil || res.Listener != tc.listener || res.FilterChain != tc.chain || (res.Failure != nil) != tc.failed {
				t.Fatalf("listener %q chain %q failure %v err %v; want %q %q failed=%v",
					res.Listener, res.FilterChain, res.Failure, err, tc.listener, tc.chain, tc.failed)
			}
		})
	}
}

// Weft's sidecar output, serviceentry golden: a TCP ServiceEntry with an
// address gets its own listener, and its tcp_proxy sends everything to
// the service's cluster.
func TestWeftSidecarTCP(t *testing.T) {
	c := lisWeftSidecar(t, "serviceentry.in.yaml")
	res := &Result{}
	_, fc, err := c.connection(lisOutbound("192.0.2.10", 5432), res)
	if err != nil || res.Listener != "192.0.2.10_5432" {
		t.Fatalf("listener %q, err %v", res.Listener, err)
	}
	if err := c.tcpProxy(fc.GetFilters()[0], lisOutbound("192.0.2.10", 5432), res); err != nil {
		t.Fatal(err)
	}
	if cs := res.Action.Clusters; len(cs) != 1 || cs[0].Name != "outbound|5432||db.example.com" || cs[0].Probability != 1 {
		t.Fatalf("clusters %v", cs)
	}
}

// Weft's proxyless output: the client's API listener for its target,
// its HCM reached through the wrapped chain; a target weft was not
// asked for fails UNAVAILABLE.
func TestWeftProxylessListener(t *testing.T) {
	m := translate.Translate(golden.Snapshot(t, "../pipeline/testdata/mtls.in.yaml"), "golden")
	target := "reviews.default.svc.cluster.local:9080"
	res, _ := grpcgen.Generate(m, lisWeftProxy(t, true), []string{target})
	c := FromResources(res)
	r := &Result{}
	_, fc, err := c.connection(&Request{Target: target, Protocol: GRPC}, r)
	if err != nil || r.Listener != target || fc.GetFilters()[0].GetName() != filterHCM {
		t.Fatalf("listener %q chain %v err %v", r.Listener, fc, err)
	}
	r = &Result{}
	if _, _, err := c.connection(&Request{Target: "details:9080", Protocol: GRPC}, r); err != nil || r.Failure == nil {
		t.Fatalf("failure %v err %v; want UNAVAILABLE", r.Failure, err)
	}
}
