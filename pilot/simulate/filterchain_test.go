package simulate

import (
	"testing"

	matcherv3 "github.com/cncf/xds/go/xds/type/matcher/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	httpinspector "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/http_inspector/v3"
	origdst "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/original_dst/v3"
	tlsinspector "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/xds/build"
)

func lisFilter(name string, cfg proto.Message) *listenerv3.ListenerFilter {
	return &listenerv3.ListenerFilter{Name: name, ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: build.MustAny(cfg)}}
}

var (
	lisOrigDst   = lisFilter("envoy.filters.listener.original_dst", &origdst.OriginalDst{})
	lisTLSInsp   = lisFilter("envoy.filters.listener.tls_inspector", &tlsinspector.TlsInspector{})
	lisHTTPInsp  = lisFilter("envoy.filters.listener.http_inspector", &httpinspector.HttpInspector{})
	lisInspected = []*listenerv3.ListenerFilter{lisOrigDst, lisTLSInsp}
)

// lisChain is a TCP proxy chain named name, matching m.
func lisChain(name string, m *listenerv3.FilterChainMatch) *listenerv3.FilterChain {
	return &listenerv3.FilterChain{Name: name, FilterChainMatch: m, Filters: []*listenerv3.Filter{lisTCPFilter(name)}}
}

// lisInbound is a virtualInbound-like listener on 15006 with the given
// listener filters and chains.
func lisInbound(filters []*listenerv3.ListenerFilter, chains ...*listenerv3.FilterChain) *listenerv3.Listener {
	l := lisAt("virtualInbound", "0.0.0.0", 15006, true)
	l.ListenerFilters, l.FilterChains = filters, chains
	return l
}

func lisCIDR(prefix string, bits uint32) []*corev3.CidrRange {
	return []*corev3.CidrRange{{AddressPrefix: prefix, PrefixLen: wrapperspb.UInt32(bits)}}
}

func lisPort(p uint32) *wrapperspb.UInt32Value { return wrapperspb.UInt32(p) }

// lisIn is a plaintext inbound request to the pod's port.
func lisIn(port uint32) *Request {
	return &Request{Direction: Inbound, DestIP: "10.244.0.10", DestPort: port, SourceIP: "10.244.1.2", Protocol: TCP}
}

func lisTLS(sni string, alpn ...string) func(*Request) {
	return func(r *Request) {
		r.TLS = &TLS{SNI: sni, ALPN: alpn, ClientID: "spiffe://cluster.local/ns/default/sa/reviews"}
	}
}

type lisChainCase struct {
	name   string
	l      *listenerv3.Listener
	port   uint32
	modify func(*Request)
	want   string // chain name; "NFCF" for no chain
}

func lisRunChainCases(t *testing.T, cases []lisChainCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := lisIn(tc.port)
			if tc.modify != nil {
				tc.modify(req)
			}
			res := &Result{}
			fc, err := selectFilterChain(tc.l, req, res)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "NFCF" {
				if fc != nil || res.Failure == nil || res.Failure.Flag != "NFCF" {
					t.Fatalf("chain %q, failure %v; want NFCF", fc.GetName(), res.Failure)
				}
				return
			}
			if fc == nil || res.FilterChain != tc.want {
				t.Fatalf("chain %q, failure %v; want %q", res.FilterChain, res.Failure, tc.want)
			}
		})
	}
}

// Envoy: filter chain match — destination port, then destination IP
// (longest prefix); a port match beats any IP match, and a chain with
// the wrong port never matches.
func TestFilterChainDestination(t *testing.T) {
	l := lisInbound(lisInspected,
		lisChain("ip16", &listenerv3.FilterChainMatch{PrefixRanges: lisCIDR("10.244.0.0", 16)}),
		lisChain("port9080", &listenerv3.FilterChainMatch{DestinationPort: lisPort(9080)}),
		lisChain("port9090-ip32", &listenerv3.FilterChainMatch{DestinationPort: lisPort(9090), PrefixRanges: lisCIDR("10.244.0.10", 32)}),
		lisChain("port9090-ip24", &listenerv3.FilterChainMatch{DestinationPort: lisPort(9090), PrefixRanges: lisCIDR("10.244.0.0", 24)}),
		lisChain("port9090-ip8", &listenerv3.FilterChainMatch{DestinationPort: lisPort(9090), PrefixRanges: lisCIDR("10.0.0.0", 8)}),
		lisChain("port9090-other", &listenerv3.FilterChainMatch{DestinationPort: lisPort(9090), PrefixRanges: lisCIDR("10.244.0.11", 32)}),
	)
	otherIP := func(r *Request) { r.DestIP = "10.245.0.1" }
	lisRunChainCases(t, []lisChainCase{
		{"port beats IP", l, 9080, nil, "port9080"},
		{"wrong port excluded: IP chain", l, 7000, nil, "ip16"},
		{"longest prefix wins", l, 9090, nil, "port9090-ip32"},
		{"shorter prefix when the longer misses", l, 9090, otherIP, "port9090-ip8"},
		{"port matches, none of its IPs do", l, 9090, func(r *Request) { r.DestIP = "192.168.0.1" }, "NFCF"},
		{"no chain for the port or IP", l, 7000, otherIP, "NFCF"},
	})
}

// Envoy: filter chain match — server names: exact, then the longest
// wildcard suffix, then chains without server_names; a wildcard never
// matches the bare domain.
func TestFilterChainServerNames(t *testing.T) {
	l := lisInbound(lisInspected,
		lisChain("exact", &listenerv3.FilterChainMatch{ServerNames: []string{"www.example.com"}}),
		lisChain("wild-example", &listenerv3.FilterChainMatch{ServerNames: []string{"*.example.com"}}),
		lisChain("wild-com", &listenerv3.FilterChainMatch{ServerNames: []string{"*.com", "other.org"}}),
		lisChain("none", &listenerv3.FilterChainMatch{}),
	)
	lisRunChainCases(t, []lisChainCase{
		{"exact beats wildcard", l, 443, lisTLS("www.example.com"), "exact"},
		{"longest wildcard wins", l, 443, lisTLS("api.example.com"), "wild-example"},
		{"wildcard covers deeper names", l, 443, lisTLS("a.b.example.com"), "wild-example"},
		{"shorter wildcard", l, 443, lisTLS("example.com"), "wild-com"},
		{"exact in a list", l, 443, lisTLS("other.org"), "wild-com"},
		{"unknown name: no server_names", l, 443, lisTLS("example.net"), "none"},
		{"no SNI: no server_names", l, 443, lisTLS(""), "none"},
		{"plaintext: no server_names", l, 443, nil, "none"},
	})
}

// Envoy: filter chain match — transport protocol comes from the
// tls_inspector ("tls"), else is "raw_buffer"; an empty criterion
// matches only when no chain names the connection's protocol. Without
// a tls_inspector every connection is raw_buffer. Chains pruned at the
// port step stay pruned when the port's chains fail a later step.
func TestFilterChainTransport(t *testing.T) {
	chains := []*listenerv3.FilterChain{
		lisChain("tls", &listenerv3.FilterChainMatch{DestinationPort: lisPort(9080), TransportProtocol: "tls"}),
		lisChain("raw", &listenerv3.FilterChainMatch{DestinationPort: lisPort(9080), TransportProtocol: "raw_buffer"}),
		lisChain("any-9090", &listenerv3.FilterChainMatch{DestinationPort: lisPort(9090)}),
		lisChain("tls-9090", &listenerv3.FilterChainMatch{DestinationPort: lisPort(9090), TransportProtocol: "tls"}),
		lisChain("tls-only-7000", &listenerv3.FilterChainMatch{DestinationPort: lisPort(7000), TransportProtocol: "tls"}),
		lisChain("catchall", nil),
	}
	l := lisInbound(lisInspected, chains...)
	blind := lisInbound([]*listenerv3.ListenerFilter{lisOrigDst}, chains...)
	lisRunChainCases(t, []lisChainCase{
		{"TLS", l, 9080, lisTLS(""), "tls"},
		{"plaintext", l, 9080, nil, "raw"},
		{"set criterion beats empty", l, 9090, lisTLS(""), "tls-9090"},
		{"empty criterion when none is set for it", l, 9090, nil, "any-9090"},
		{"plaintext to a TLS-only port: no backtracking to the catch-all", l, 7000, nil, "NFCF"},
		{"port without chains: catch-all", l, 5000, nil, "catchall"},
		{"no tls_inspector: TLS is raw_buffer", blind, 9080, lisTLS(""), "raw"},
	})
}

// Envoy: filter chain match — application protocols: the first of the
// connection's protocols (in its order) that any chain lists wins;
// tls_inspector reports ALPN, http_inspector the plaintext HTTP version.
func TestFilterChainALPN(t *testing.T) {
	chains := []*listenerv3.FilterChain{
		lisChain("h2", &listenerv3.FilterChainMatch{ApplicationProtocols: []string{"h2", "h2c"}}),
		lisChain("http1", &listenerv3.FilterChainMatch{ApplicationProtocols: []string{"http/1.1"}}),
		lisChain("any", &listenerv3.FilterChainMatch{}),
	}
	l := lisInbound(lisInspected, chains...)
	sniffed := lisInbound([]*listenerv3.ListenerFilter{lisOrigDst, lisTLSInsp, lisHTTPInsp}, chains...)
	proto := func(p Protocol) func(*Request) { return func(r *Request) { r.Protocol = p } }
	lisRunChainCases(t, []lisChainCase{
		{"client order decides", l, 443, lisTLS("", "http/1.1", "h2"), "http1"},
		{"first listed protocol", l, 443, lisTLS("", "h2", "http/1.1"), "h2"},
		{"unlisted protocol: empty criterion", l, 443, lisTLS("", "istio"), "any"},
		{"plaintext without http_inspector", l, 80, proto(HTTP1), "any"},
		{"http_inspector: HTTP/1.1", sniffed, 80, proto(HTTP1), "http1"},
		{"http_inspector: gRPC is h2c", sniffed, 80, proto(GRPC), "h2"},
		{"http_inspector: opaque TCP", sniffed, 80, proto(TCP), "any"},
	})
}

// Envoy: filter chain match — direct source IP, source type (local is
// loopback or the connection's own IP), then source IP, longest prefix.
func TestFilterChainSource(t *testing.T) {
	l := lisInbound(lisInspected,
		lisChain("local", &listenerv3.FilterChainMatch{SourceType: listenerv3.FilterChainMatch_SAME_IP_OR_LOOPBACK}),
		lisChain("ext-10.244.1", &listenerv3.FilterChainMatch{SourceType: listenerv3.FilterChainMatch_EXTERNAL, SourcePrefixRanges: lisCIDR("10.244.1.0", 24)}),
		lisChain("ext", &listenerv3.FilterChainMatch{SourceType: listenerv3.FilterChainMatch_EXTERNAL}),
	)
	direct := lisInbound(lisInspected,
		lisChain("direct", &listenerv3.FilterChainMatch{DirectSourcePrefixRanges: lisCIDR("10.244.1.0", 24)}),
		lisChain("local", &listenerv3.FilterChainMatch{SourceType: listenerv3.FilterChainMatch_SAME_IP_OR_LOOPBACK}),
	)
	from := func(ip string) func(*Request) { return func(r *Request) { r.SourceIP = ip } }
	lisRunChainCases(t, []lisChainCase{
		{"loopback is local", l, 80, from("127.0.0.6"), "local"},
		{"own IP is local", l, 80, from("10.244.0.10"), "local"},
		{"external with source prefix", l, 80, nil, "ext-10.244.1"},
		{"external elsewhere", l, 80, from("10.244.2.2"), "ext"},
		{"direct source comes before source type", direct, 80, nil, "direct"},
		{"direct source misses: chains without one", direct, 80, from("127.0.0.1"), "local"},
	})
}

// Envoy: default_filter_chain takes connections no chain matches;
// without it the listener closes them (NFCF).
func TestFilterChainDefault(t *testing.T) {
	l := lisInbound(lisInspected, lisChain("tls-9080", &listenerv3.FilterChainMatch{DestinationPort: lisPort(9080), TransportProtocol: "tls"}))
	l.DefaultFilterChain = lisChain("", nil)
	lisRunChainCases(t, []lisChainCase{
		{"default chain", l, 9080, nil, "default_filter_chain"},
		{"NFCF", lisInbound(lisInspected, l.FilterChains...), 9080, nil, "NFCF"},
	})
}

// Envoy: original_dst listener filter — the original destination is
// the local address only once restored; without it a capture listener
// sees its own port, so destination_port chains miss.
func TestFilterChainOriginalDst(t *testing.T) {
	chains := []*listenerv3.FilterChain{
		lisChain("port9080", &listenerv3.FilterChainMatch{DestinationPort: lisPort(9080)}),
		lisChain("catchall", nil),
	}
	lisRunChainCases(t, []lisChainCase{
		{"restored", lisInbound(lisInspected, chains...), 9080, nil, "port9080"},
		{"not restored", lisInbound([]*listenerv3.ListenerFilter{lisTLSInsp}, chains...), 9080, nil, "catchall"},
	})
	res := &Result{}
	if _, err := selectFilterChain(lisInbound(nil, chains...), lisIn(9080), res); err != nil || res.FilterChain != "catchall" {
		t.Fatalf("chain %q, err %v; unnamed chains are #N, this one is named", res.FilterChain, err)
	}
}

// Config the selection does not model is reported, not guessed at.
func TestFilterChainCannot(t *testing.T) {
	unknownFilter := lisInbound([]*listenerv3.ListenerFilter{lisFilter("envoy.filters.listener.proxy_protocol", &corev3.Address{})}, lisChain("a", nil))
	suffix := lisInbound(lisInspected, lisChain("a", &listenerv3.FilterChainMatch{SuffixLen: wrapperspb.UInt32(2)}))
	ports := lisInbound(lisInspected, lisChain("a", &listenerv3.FilterChainMatch{SourcePorts: []uint32{5000}}), lisChain("b", nil))
	twins := lisInbound(lisInspected, lisChain("a", nil), lisChain("b", nil))
	matcher := lisInbound(lisInspected, lisChain("a", nil))
	matcher.FilterChainMatcher = &matcherv3.Matcher{}
	for name, l := range map[string]*listenerv3.Listener{
		"unknown listener filter": unknownFilter, "suffix_len": suffix, "source_ports": ports,
		"identical matches": twins, "filter_chain_matcher": matcher,
	} {
		_, err := selectFilterChain(l, lisIn(80), &Result{})
		t.Run(name, func(t *testing.T) { lisWantCannot(t, err) })
	}
}

// Envoy: downstream TLS — a chain with a TLS transport socket fails the
// handshake of plaintext clients and, requiring one, of clients without
// a certificate; a chain without TLS hands TLS bytes to its filters,
// which the HTTP codec rejects (400 DPE) and a TCP proxy forwards.
func TestFilterChainDownstreamTLS(t *testing.T) {
	mtls := lisChain("mtls", nil)
	mtls.TransportSocket = build.DownstreamTLS(build.Options{})
	http := &listenerv3.FilterChain{Name: "http", Filters: []*listenerv3.Filter{build.HCMFilter(build.HCMOptions{StatPrefix: "x", RDS: "80"})}}
	noCert := func(r *Request) { lisTLS("")(r); r.TLS.ClientID = "" }
	cases := []struct {
		name   string
		fc     *listenerv3.FilterChain
		modify func(*Request)
		status int
		flag   string
		failed bool
	}{
		{"mTLS client", mtls, lisTLS(""), 0, "", false},
		{"plaintext client", mtls, nil, 0, flagNone, true},
		{"TLS without a client certificate", mtls, noCert, 0, flagNone, true},
		{"TLS to a plaintext HTTP chain", http, lisTLS(""), 400, "DPE", true},
		{"TLS through a plaintext TCP chain", lisChain("tcp", nil), lisTLS(""), 0, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := lisIn(80)
			if tc.modify != nil {
				tc.modify(req)
			}
			res := &Result{}
			_, err := selectFilterChain(lisInbound(lisInspected, tc.fc), req, res)
			if err != nil || (res.Failure != nil) != tc.failed {
				t.Fatalf("failure %v, err %v; want failed=%v", res.Failure, err, tc.failed)
			}
			if tc.failed && (res.Failure.Status != tc.status || res.Failure.Flag != tc.flag) {
				t.Fatalf("failure %v; want %d %q", res.Failure, tc.status, tc.flag)
			}
		})
	}
}
