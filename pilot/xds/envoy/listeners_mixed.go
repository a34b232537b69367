package envoy

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	httpinspector "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/http_inspector/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// mixedOutbound serves a port shared by HTTP services and address-less
// TLS services as istiod does: one 0.0.0.0_PORT listener that inspects
// each connection, sending TLS by server name to the TLS services'
// chains, plaintext HTTP/1.1 and h2c to the HTTP connection manager, and
// anything else to the unknown-destination cluster.
func mixedOutbound(m *mesh.Mesh, p *xds.Proxy, port uint32, vhs []*mesh.VirtualHost, unknown string) *listenerv3.Listener {
	http := httpOutbound(port, nil, unknown).FilterChains[0]
	http.FilterChainMatch = &listenerv3.FilterChainMatch{TransportProtocol: "raw_buffer", ApplicationProtocols: plaintextHTTPALPNs}
	l := sniOutbound(m, p, port, vhs, unknown, http)
	l.ListenerFilters = append(l.ListenerFilters, &listenerv3.ListenerFilter{
		Name:       "envoy.filters.listener.http_inspector",
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: build.MustAny(&httpinspector.HttpInspector{})},
	})
	return l
}

// tlsOutbound fills the IP_PORT listener of a TLS service with an
// address: its tls rules' chains, matched by server name (a tls_inspector
// reads it), and the unknown-destination default; without rules, one
// chain to the service's cluster.
func tlsOutbound(l *listenerv3.Listener, m *mesh.Mesh, vh *mesh.VirtualHost, p *xds.Proxy) {
	setChains(l, tlsChains(m, vh, p, false), unknownCluster(m, p))
	if len(xds.TLSRoutesFor(vh, p)) > 0 {
		l.ListenerFilters = []*listenerv3.ListenerFilter{tlsInspector()}
		l.ListenerFiltersTimeout = durationpb.New(0)
	}
}
