package envoy

import (
	"net/netip"
	"slices"
	"sort"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsinspector "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// PassthroughFilterChain names the default chain of an SNI listener, taken
// by TLS whose server name no service claims.
const PassthroughFilterChain = "PassthroughFilterChain"

// sniPorts groups, by port, the TLS and HTTPS service ports that have no
// address: the destination IP cannot tell them apart, so istiod matches
// them by the TLS server name on a listener bound to 0.0.0.0.
func sniPorts(m *mesh.Mesh) map[uint32][]*mesh.VirtualHost {
	out := map[uint32][]*mesh.VirtualHost{}
	for _, vh := range m.VirtualHosts {
		if isTLSProtocol(vh.Port.Protocol) && len(vh.Service.Addresses) == 0 {
			out[vh.Port.Number] = append(out[vh.Port.Number], vh)
		}
	}
	return out
}

func isTLSProtocol(p mesh.Protocol) bool { return p == mesh.ProtocolTLS || p == mesh.ProtocolHTTPS }

// sniOutbound is the listener 0.0.0.0_PORT for address-less TLS services:
// a tls_inspector reads the ClientHello and the filter chains match its
// server name (see sniChains); TLS for any other name takes the default
// chain to the unknown-destination cluster. extra chains (an HTTP
// service's) join the same listener.
func sniOutbound(m *mesh.Mesh, p *xds.Proxy, port uint32, vhs []*mesh.VirtualHost, unknown string, extra ...*listenerv3.FilterChain) *listenerv3.Listener {
	l := &listenerv3.Listener{
		Name:             "0.0.0.0_" + portString(port),
		Address:          build.SocketAddress("0.0.0.0", port),
		BindToPort:       wrapperspb.Bool(false),
		ListenerFilters:  []*listenerv3.ListenerFilter{tlsInspector()},
		TrafficDirection: corev3.TrafficDirection_OUTBOUND,
		// istiod turns the listener filter timeout off on outbound listeners.
		ListenerFiltersTimeout: durationpb.New(0),
	}
	setChains(l, append(extra, sniChains(m, p, vhs)...), unknown)
	return l
}

// sniChains are the chains of every service on the shared listener, by
// host name; as istiod merges services on one listener, a chain whose
// match repeats one already there is dropped.
func sniChains(m *mesh.Mesh, p *xds.Proxy, vhs []*mesh.VirtualHost) []*listenerv3.FilterChain {
	sort.Slice(vhs, func(i, j int) bool { return vhs[i].Service.Hostname < vhs[j].Service.Hostname })
	var out []*listenerv3.FilterChain
	for _, vh := range vhs {
		out = appendUnique(out, tlsChains(m, vh, p, true)...)
	}
	return out
}

// appendUnique adds the chains whose match no earlier chain has: Envoy
// refuses a listener with two identical matches, and the later could
// never be taken.
func appendUnique(out []*listenerv3.FilterChain, chains ...*listenerv3.FilterChain) []*listenerv3.FilterChain {
	for _, fc := range chains {
		if !slices.ContainsFunc(out, func(c *listenerv3.FilterChain) bool { return proto.Equal(c.FilterChainMatch, fc.FilterChainMatch) }) {
			out = append(out, fc)
		}
	}
	return out
}

// tlsChains are the filter chains of one TLS or HTTPS service port, as
// istiod builds them: one per VirtualService tls rule that applies to the
// proxy, matched by the rule's server names and destination subnets and
// proxied to its destinations; without such a rule, one chain to the
// service's cluster, matched by its host name when the listener is shared
// (bySNI).
func tlsChains(m *mesh.Mesh, vh *mesh.VirtualHost, p *xds.Proxy, bySNI bool) []*listenerv3.FilterChain {
	routes := xds.TLSRoutesFor(vh, p)
	if len(routes) == 0 {
		return []*listenerv3.FilterChain{serviceChain(m, vh, bySNI)}
	}
	out := make([]*listenerv3.FilterChain, 0, len(routes))
	for _, r := range routes {
		out = appendUnique(out, &listenerv3.FilterChain{
			FilterChainMatch: tlsMatch(r),
			Filters:          []*listenerv3.Filter{tcpToDestinations(m, r.Destinations, vh.Port.Number, "outbound_"+r.Origin)},
		})
	}
	return out
}

// serviceChain sends TLS to the service's cluster. A service with a
// single port is reached on that port's cluster, as in istiod.
func serviceChain(m *mesh.Mesh, vh *mesh.VirtualHost, bySNI bool) *listenerv3.FilterChain {
	port := vh.Port.Number
	if len(vh.Service.Ports) == 1 {
		port = vh.Service.Ports[0].Number
	}
	key := mesh.ClusterKey{Direction: mesh.Outbound, Port: port, Host: vh.Service.Hostname}
	fc := &listenerv3.FilterChain{Filters: []*listenerv3.Filter{tcpFilter(withPoolLimits(m, key, tcpToCluster(key.String(), key.String())))}}
	if bySNI {
		fc.FilterChainMatch = &listenerv3.FilterChainMatch{ServerNames: []string{vh.Service.Hostname}}
	}
	return fc
}

// tlsMatch is a tls rule's filter chain match: its server names, sorted
// ("*" among them matches any name, so none are listed), and its
// destination subnets as prefix ranges.
func tlsMatch(r *mesh.TLSRoute) *listenerv3.FilterChainMatch {
	fm := &listenerv3.FilterChainMatch{}
	if !slices.Contains(r.SNIHosts, "*") {
		fm.ServerNames = slices.Sorted(slices.Values(r.SNIHosts))
	}
	for _, s := range slices.Sorted(slices.Values(r.DestinationSubnets)) {
		if cidr := cidrRange(s); cidr != nil {
			fm.PrefixRanges = append(fm.PrefixRanges, cidr)
		}
	}
	return fm
}

// setChains puts the chains on the listener as istiod does: a chain that
// matches everything becomes the default; without one, connections no
// chain matches go to the unknown-destination cluster; a lone match-all
// chain is simply the listener's only chain.
func setChains(l *listenerv3.Listener, chains []*listenerv3.FilterChain, unknown string) {
	for _, fc := range chains {
		if matchesAll(fc.FilterChainMatch) {
			fc.FilterChainMatch = nil
			l.DefaultFilterChain = fc
			continue
		}
		l.FilterChains = append(l.FilterChains, fc)
	}
	switch {
	case l.DefaultFilterChain != nil && len(l.FilterChains) == 0:
		l.FilterChains, l.DefaultFilterChain = []*listenerv3.FilterChain{l.DefaultFilterChain}, nil
	case l.DefaultFilterChain == nil:
		l.DefaultFilterChain = &listenerv3.FilterChain{
			Name:             PassthroughFilterChain,
			FilterChainMatch: &listenerv3.FilterChainMatch{},
			Filters:          []*listenerv3.Filter{tcpProxy(unknown, unknown)},
		}
	}
}

func matchesAll(fm *listenerv3.FilterChainMatch) bool {
	return fm == nil || proto.Equal(fm, &listenerv3.FilterChainMatch{})
}

// tlsInspector reads the ClientHello's server name and ALPN, from the
// first 512 bytes as istiod configures it.
func tlsInspector() *listenerv3.ListenerFilter {
	cfg := &tlsinspector.TlsInspector{InitialReadBufferSize: wrapperspb.UInt32(512)}
	return &listenerv3.ListenerFilter{
		Name:       "envoy.filters.listener.tls_inspector",
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: build.MustAny(cfg)},
	}
}

// cidrRange reads "a.b.c.d/n" or a bare address (a single host); nil for
// what validation would have refused.
func cidrRange(s string) *corev3.CidrRange {
	if pfx, err := netip.ParsePrefix(s); err == nil {
		return &corev3.CidrRange{AddressPrefix: pfx.Masked().Addr().String(), PrefixLen: wrapperspb.UInt32(uint32(pfx.Bits()))}
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		return &corev3.CidrRange{AddressPrefix: ip.String(), PrefixLen: wrapperspb.UInt32(uint32(ip.BitLen()))}
	}
	return nil
}
