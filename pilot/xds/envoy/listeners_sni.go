package envoy

import (
	"sort"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsinspector "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// PassthroughFilterChain names the default chain of an SNI listener, taken
// by TLS whose server name no service claims.
const PassthroughFilterChain = "PassthroughFilterChain"

// sniPorts groups, by port, the TLS and HTTPS service ports that have no
// address: the destination IP cannot tell them apart, so istiod matches
// them by the TLS server name on a listener bound to 0.0.0.0.
func sniPorts(m *mesh.Mesh, skip map[uint32]bool) map[uint32][]*mesh.VirtualHost {
	out := map[uint32][]*mesh.VirtualHost{}
	for _, vh := range m.VirtualHosts {
		if isTLSProtocol(vh.Port.Protocol) && len(vh.Service.Addresses) == 0 && !skip[vh.Port.Number] {
			out[vh.Port.Number] = append(out[vh.Port.Number], vh)
		}
	}
	return out
}

func isTLSProtocol(p mesh.Protocol) bool { return p == mesh.ProtocolTLS || p == mesh.ProtocolHTTPS }

// sniOutbound is the listener 0.0.0.0_PORT for address-less TLS services:
// a tls_inspector reads the ClientHello, one filter chain per service
// matches its host name and proxies to its cluster, and TLS for any other
// name takes the default chain to the unknown-destination cluster.
func sniOutbound(port uint32, vhs []*mesh.VirtualHost, unknown string) *listenerv3.Listener {
	sort.Slice(vhs, func(i, j int) bool { return vhs[i].Service.Hostname < vhs[j].Service.Hostname })
	l := &listenerv3.Listener{
		Name:       "0.0.0.0_" + portString(port),
		Address:    build.SocketAddress("0.0.0.0", port),
		BindToPort: wrapperspb.Bool(false),
		ListenerFilters: []*listenerv3.ListenerFilter{{
			Name:       "envoy.filters.listener.tls_inspector",
			ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: build.MustAny(&tlsinspector.TlsInspector{})},
		}},
		DefaultFilterChain: &listenerv3.FilterChain{
			Name:             PassthroughFilterChain,
			FilterChainMatch: &listenerv3.FilterChainMatch{},
			Filters:          []*listenerv3.Filter{tcpProxy(unknown, unknown)},
		},
		TrafficDirection: corev3.TrafficDirection_OUTBOUND,
	}
	for _, vh := range vhs {
		l.FilterChains = append(l.FilterChains, sniChain(vh))
	}
	return l
}

// sniChain sends TLS naming the service's host to its cluster. A service
// with a single port is reached on that port's cluster, as in istiod.
func sniChain(vh *mesh.VirtualHost) *listenerv3.FilterChain {
	port := vh.Port.Number
	if len(vh.Service.Ports) == 1 {
		port = vh.Service.Ports[0].Number
	}
	cluster := mesh.ClusterKey{Direction: mesh.Outbound, Port: port, Host: vh.Service.Hostname}.String()
	return &listenerv3.FilterChain{
		FilterChainMatch: &listenerv3.FilterChainMatch{ServerNames: []string{vh.Service.Hostname}},
		Filters:          []*listenerv3.Filter{tcpProxy(cluster, cluster)},
	}
}
