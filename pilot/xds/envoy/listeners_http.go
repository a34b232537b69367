package envoy

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	httpinspector "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/http_inspector/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// plaintextHTTPALPNs are what http_inspector reports for plaintext HTTP
// istiod routes by HTTP rules (HTTP/1.0 only with its PILOT_HTTP10 flag).
var plaintextHTTPALPNs = []string{"http/1.1", "h2c"}

// sniffHTTP makes a wildcard HTTP listener take only plaintext HTTP, as
// istiod builds 0.0.0.0_PORT: other traffic on the port (TLS, or TCP to an
// address no service has) falls through to the unknown-destination
// cluster, so ALLOW_ANY, REGISTRY_ONLY and egressProxy hold for it too.
// Detection waits for the client's bytes without a timeout (meshConfig
// protocolDetectionTimeout 0s).
func sniffHTTP(l *listenerv3.Listener, unknown string) {
	for _, fc := range l.FilterChains {
		fc.FilterChainMatch = &listenerv3.FilterChainMatch{TransportProtocol: "raw_buffer", ApplicationProtocols: plaintextHTTPALPNs}
	}
	l.ListenerFilters = []*listenerv3.ListenerFilter{{
		Name:       "envoy.filters.listener.http_inspector",
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: build.MustAny(&httpinspector.HttpInspector{})},
	}}
	l.ListenerFiltersTimeout = durationpb.New(0)
	l.ContinueOnListenerFiltersTimeout = true
	l.DefaultFilterChain = &listenerv3.FilterChain{
		Name:             PassthroughFilterChain,
		FilterChainMatch: &listenerv3.FilterChainMatch{},
		Filters:          []*listenerv3.Filter{tcpProxy(unknown, unknown)},
	}
}

// passthroughHCM is the HTTP catch-all chains' connection manager: istiod's
// inbound route (no timeouts, two retries of requests reset before any
// byte was sent) to InboundPassthroughCluster, under vhost inbound|http|0.
func passthroughHCM() *listenerv3.Filter {
	return sidecarHCMFilter(build.HCMOptions{
		StatPrefix: InboundPassthroughCluster,
		Inline:     inboundRoutes(InboundPassthroughCluster, inboundPort{Protocol: mesh.ProtocolHTTP}),
	})
}

// inboundHTTPInspector detects plaintext HTTP for the catch-all chains.
// As in istiod it is disabled on ports with chains of their own (and the
// capture port's blackhole chain): their matches need no ALPN, and a
// server-first protocol there would otherwise wait on it.
func inboundHTTPInspector(declared map[uint32]bool) *listenerv3.ListenerFilter {
	f := &listenerv3.ListenerFilter{
		Name:       "envoy.filters.listener.http_inspector",
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: build.MustAny(&httpinspector.HttpInspector{})},
	}
	var rules []*listenerv3.ListenerFilterChainMatchPredicate
	for _, port := range sortedPorts(declared) {
		rules = append(rules, &listenerv3.ListenerFilterChainMatchPredicate{
			Rule: &listenerv3.ListenerFilterChainMatchPredicate_DestinationPortRange{
				DestinationPortRange: &typev3.Int32Range{Start: int32(port), End: int32(port) + 1}}})
	}
	switch len(rules) {
	case 0:
	case 1:
		f.FilterDisabled = rules[0]
	default:
		f.FilterDisabled = &listenerv3.ListenerFilterChainMatchPredicate{Rule: &listenerv3.ListenerFilterChainMatchPredicate_OrMatch{
			OrMatch: &listenerv3.ListenerFilterChainMatchPredicate_MatchSet{Rules: rules}}}
	}
	return f
}
