package envoy

import (
	"sort"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	origdst "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/original_dst/v3"
	tlsinspector "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Ports the iptables rules redirect to, as in Istio.
const (
	OutboundCapturePort = 15001
	InboundCapturePort  = 15006
)

// Listeners returns virtualOutbound, virtualInbound and one outbound
// listener per HTTP port (0.0.0.0_PORT), per port of TLS services without
// an address (0.0.0.0_PORT, by SNI) or per TCP service address (IP_PORT).
func Listeners(m *mesh.Mesh, p *xds.Proxy) []*listenerv3.Listener {
	unknown := unknownCluster(m, p)
	out := []*listenerv3.Listener{virtualOutbound(unknown), virtualInbound(m, p)}
	out = append(out, boundIngressListeners(m, p)...)
	scope := m.ScopeFor(p.Namespace, p.Labels)
	httpPorts := map[uint32]bool{}
	for _, vh := range m.VirtualHosts {
		if routedAsHTTP(scope, vh) {
			httpPorts[vh.Port.Number] = true
		}
	}
	sni := sniPorts(m)
	for _, port := range sortedPorts(httpPorts) {
		if vhs := sni[port]; len(vhs) > 0 {
			out = append(out, mixedOutbound(m, p, port, vhs, unknown))
			continue
		}
		out = append(out, httpOutbound(port, scope.PortListener(port), unknown))
	}
	for _, port := range sortedPorts(portSet(sni)) {
		if !httpPorts[port] {
			out = append(out, sniOutbound(m, p, port, sni[port], unknown))
		}
	}
	return append(out, tcpListeners(m, p, scope)...)
}

func portSet[V any](m map[uint32]V) map[uint32]bool {
	set := make(map[uint32]bool, len(m))
	for k := range m {
		set[k] = true
	}
	return set
}

func sortedPorts(set map[uint32]bool) []uint32 {
	ports := make([]uint32, 0, len(set))
	for p := range set {
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	return ports
}

func portString(p uint32) string { return strconv.FormatUint(uint64(p), 10) }

// unknownCluster is where a connection to no known service goes: its
// original destination under ALLOW_ANY (or the Sidecar's egressProxy),
// nowhere under REGISTRY_ONLY.
func unknownCluster(m *mesh.Mesh, p *xds.Proxy) string {
	scope := m.ScopeFor(p.Namespace, p.Labels)
	switch {
	case scope.BlocksUnknown():
		return BlackHoleCluster
	case scope != nil && scope.EgressProxy != nil:
		return scope.EgressProxy.String()
	}
	return PassthroughCluster
}

// virtualOutbound receives all captured outbound traffic and hands each
// connection to the listener of its original destination; the rest goes
// to the unknown-destination cluster. As in istiod, a connection to 15001
// itself is dropped (virtualOutbound-blackhole) so it cannot loop.
func virtualOutbound(unknown string) *listenerv3.Listener {
	return &listenerv3.Listener{
		Name:           "virtualOutbound",
		Address:        build.SocketAddress("0.0.0.0", OutboundCapturePort),
		UseOriginalDst: wrapperspb.Bool(true),
		FilterChains: []*listenerv3.FilterChain{blackholeChain("virtualOutbound-blackhole", OutboundCapturePort), {
			Name:    "virtualOutbound-catchall-tcp",
			Filters: []*listenerv3.Filter{tcpProxy(unknown, unknown)},
		}},
	}
}

// blackholeChain drops connections addressed to the capture port itself.
func blackholeChain(name string, port uint32) *listenerv3.FilterChain {
	return &listenerv3.FilterChain{
		Name:             name,
		FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: wrapperspb.UInt32(port)},
		Filters:          []*listenerv3.Filter{tcpProxy(BlackHoleCluster, BlackHoleCluster)},
	}
}

// httpOutbound is the per-port listener; it does not bind, it only serves
// connections virtualOutbound hands over, unless a Sidecar egress listener
// on the port sets its address or binds it (egressBind).
func httpOutbound(port uint32, eg *mesh.EgressListener, unknown string) *listenerv3.Listener {
	addr, bind := egressBind(eg)
	name := addr + "_" + portString(port)
	l := &listenerv3.Listener{
		Name:       name,
		Address:    build.SocketAddress(addr, port),
		BindToPort: wrapperspb.Bool(bind),
		FilterChains: []*listenerv3.FilterChain{{
			Filters: []*listenerv3.Filter{sidecarHCMFilter(build.HCMOptions{StatPrefix: "outbound_" + name, RDS: portString(port)})},
		}},
		TrafficDirection: corev3.TrafficDirection_OUTBOUND,
	}
	if addr == wildcardAddress {
		sniffHTTP(l, unknown)
	}
	return l
}

// tcpOutbound serves a TCP service on each of its addresses; a service
// without an address cannot be told apart by destination and gets none.
func tcpOutbound(m *mesh.Mesh, vh *mesh.VirtualHost, p *xds.Proxy) []*listenerv3.Listener {
	var out []*listenerv3.Listener
	for _, addr := range vh.Service.Addresses {
		name := addr + "_" + portString(vh.Port.Number)
		l := &listenerv3.Listener{
			Name:             name,
			Address:          build.SocketAddress(addr, vh.Port.Number),
			BindToPort:       wrapperspb.Bool(false),
			TrafficDirection: corev3.TrafficDirection_OUTBOUND,
		}
		if isTLSProtocol(vh.Port.Protocol) {
			tlsOutbound(l, m, vh, p)
		} else {
			l.FilterChains = []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{tcpRoute(m, vh, p, "outbound_"+name)}}}
		}
		out = append(out, l)
	}
	return out
}

func tcpRoute(m *mesh.Mesh, vh *mesh.VirtualHost, p *xds.Proxy, statPrefix string) *listenerv3.Filter {
	r := xds.TCPRoutesFor(vh, p)
	if r == nil || len(r.Destinations) == 0 {
		key := mesh.ClusterKey{Direction: mesh.Outbound, Port: vh.Port.Number, Host: vh.Service.Hostname}
		return tcpFilter(withPoolLimits(m, key, tcpToCluster(statPrefix, key.String())))
	}
	return tcpToDestinations(m, r.Destinations, vh.Port.Number, statPrefix)
}

func tcpProxy(statPrefix, cluster string) *listenerv3.Filter {
	return tcpFilter(tcpToCluster(statPrefix, cluster))
}

func tcpToCluster(statPrefix, cluster string) *tcpv3.TcpProxy {
	return &tcpv3.TcpProxy{StatPrefix: statPrefix, ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: cluster}}
}

func tcpFilter(tp *tcpv3.TcpProxy) *listenerv3.Filter {
	return &listenerv3.Filter{Name: build.FilterTCP, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: build.MustAny(tp)}}
}

// virtualInbound receives captured inbound traffic: one filter chain per
// application port (Service ports, or the Sidecar's ingress ports), then
// a passthrough for the other ports.
func virtualInbound(m *mesh.Mesh, p *xds.Proxy) *listenerv3.Listener {
	l := &listenerv3.Listener{
		Name:    "virtualInbound",
		Address: build.SocketAddress("0.0.0.0", InboundCapturePort),
		ListenerFilters: []*listenerv3.ListenerFilter{{
			Name:       "envoy.filters.listener.original_dst",
			ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: build.MustAny(&origdst.OriginalDst{})},
		}, {
			// Tells TLS from plaintext so PERMISSIVE ports can accept both.
			Name:       "envoy.filters.listener.tls_inspector",
			ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: build.MustAny(&tlsinspector.TlsInspector{})},
		}},
		TrafficDirection: corev3.TrafficDirection_INBOUND,
	}
	l.FilterChains = append(l.FilterChains, blackholeChain("virtualInbound-blackhole", InboundCapturePort))
	declared := map[uint32]bool{}
	for _, ip := range inboundPortsOf(m, p) {
		if ip.boundIngress() {
			continue
		}
		declared[ip.Port] = true
		l.FilterChains = append(l.FilterChains, inboundChains(ip, m.PeerAuthn.Mode(p.Namespace, p.Labels, ip.Port))...)
	}
	l.FilterChains = append(l.FilterChains, passthroughChains(m, p, declared)...)
	declared[InboundCapturePort] = true // virtualInbound-blackhole
	l.ListenerFilters = append(l.ListenerFilters, inboundHTTPInspector(declared))
	return l
}

// CatchAllChain and CatchAllHTTPChain name the passthrough chains for
// ports no Service declares, as istiod names them whatever their TLS or
// port: TCP proxying, and HTTP sniffed by http_inspector (or announced by
// an Istio client's mTLS ALPN), which istiod serves through an HTTP
// connection manager.
const (
	CatchAllChain     = "virtualInbound"
	CatchAllHTTPChain = "virtualInbound-catchall-http"
)

// ALPN values of Istio's sidecars (and weft's) on mesh mTLS: the HTTP
// ones say the client's sidecar detected HTTP, the TCP ones that it did not.
var (
	istioMTLSHTTPALPNs = []string{"istio-http/1.0", "istio-http/1.1", "istio-h2"}
	istioMTLSTCPALPNs  = []string{"istio-peer-exchange", "istio"}
)

// passthroughChains serve ports no Service declares, under the workload's
// mode as istiod's passthrough chains do, so STRICT covers every port. A
// port the workload's policy sets its own mode for gets chains of its own.
func passthroughChains(m *mesh.Mesh, p *xds.Proxy, declared map[uint32]bool) []*listenerv3.FilterChain {
	out := catchAllChains(0, m.PeerAuthn.Mode(p.Namespace, p.Labels, 0))
	for _, port := range m.PeerAuthn.PortLevel(p.Namespace, p.Labels) {
		if !declared[port] {
			out = append(out, catchAllChains(port, m.PeerAuthn.Mode(p.Namespace, p.Labels, port))...)
		}
	}
	return out
}

// catchAllChains forward to the original destination, HTTP through an
// HCM with Istio's inbound route, the rest by TCP proxy. STRICT accepts
// only mTLS (plaintext matches no chain and is closed); PERMISSIVE
// terminates TLS offering an Istio ALPN and passes other TLS and plaintext
// through untouched; DISABLE passes everything through. Port 0 means any
// port.
func catchAllChains(port uint32, mode mesh.MTLSMode) []*listenerv3.FilterChain {
	httpMTLS := catchAllChain(port, true, &listenerv3.FilterChainMatch{TransportProtocol: "tls", ApplicationProtocols: istioMTLSHTTPALPNs})
	httpMTLS.TransportSocket = build.DownstreamTLS(build.Options{})
	httpPlain := catchAllChain(port, true, &listenerv3.FilterChainMatch{TransportProtocol: "raw_buffer", ApplicationProtocols: plaintextHTTPALPNs})
	mtls := catchAllChain(port, false, &listenerv3.FilterChainMatch{TransportProtocol: "tls"})
	mtls.TransportSocket = build.DownstreamTLSForTCP(build.Options{})
	switch mode {
	case mesh.MTLSStrict:
		return []*listenerv3.FilterChain{httpMTLS, mtls}
	case mesh.MTLSPermissive:
		mtls.FilterChainMatch.ApplicationProtocols = istioMTLSTCPALPNs
		return []*listenerv3.FilterChain{httpMTLS, httpPlain, mtls,
			catchAllChain(port, false, &listenerv3.FilterChainMatch{TransportProtocol: "tls"}),
			catchAllChain(port, false, &listenerv3.FilterChainMatch{TransportProtocol: "raw_buffer"})}
	}
	// Envoy does not fall back from the raw_buffer branch once it matched,
	// so plaintext TCP needs a raw_buffer chain beside the HTTP one; TLS,
	// which tls_inspector tells apart, passes through untouched.
	return []*listenerv3.FilterChain{httpPlain,
		catchAllChain(port, false, &listenerv3.FilterChainMatch{TransportProtocol: "tls"}),
		catchAllChain(port, false, &listenerv3.FilterChainMatch{TransportProtocol: "raw_buffer"})}
}

func catchAllChain(port uint32, http bool, match *listenerv3.FilterChainMatch) *listenerv3.FilterChain {
	name, filter := CatchAllChain, tcpProxy(InboundPassthroughCluster, InboundPassthroughCluster)
	if http {
		name, filter = CatchAllHTTPChain, passthroughHCM()
	}
	if port != 0 {
		match.DestinationPort = wrapperspb.UInt32(port)
	}
	return &listenerv3.FilterChain{Name: name, FilterChainMatch: match, Filters: []*listenerv3.Filter{filter}}
}

// inboundChains serves one application port per its mTLS mode: STRICT
// terminates mutual TLS on every connection (plaintext fails the
// handshake), PERMISSIVE splits by transport protocol, DISABLE is plaintext.
// PERMISSIVE terminates only TLS offering an Istio ALPN, as istiod: other
// TLS to a TCP port passes through to the application untouched.
func inboundChains(in inboundPort, mode mesh.MTLSMode) []*listenerv3.FilterChain {
	switch mode {
	case mesh.MTLSStrict:
		fc := inboundChain(in, "")
		fc.TransportSocket = inboundMTLS(in)
		return []*listenerv3.FilterChain{fc}
	case mesh.MTLSPermissive:
		tls := inboundChain(in, "tls")
		tls.TransportSocket = inboundMTLS(in)
		tls.FilterChainMatch.ApplicationProtocols = istioMTLSALPNs
		if in.Protocol.IsHTTP() {
			return []*listenerv3.FilterChain{tls, inboundChain(in, "raw_buffer")}
		}
		return []*listenerv3.FilterChain{tls, inboundChain(in, "tls"), inboundChain(in, "raw_buffer")}
	}
	return []*listenerv3.FilterChain{inboundChain(in, "")}
}

// istioMTLSALPNs are every ALPN an Istio client sidecar offers on mesh
// mTLS, which istiod's PERMISSIVE port chains match.
var istioMTLSALPNs = []string{"istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2"}

// inboundMTLS is the mTLS server context of a port's chain: istiod offers
// istio-peer-exchange too where the chain proxies TCP.
func inboundMTLS(in inboundPort) *corev3.TransportSocket {
	if in.Protocol.IsHTTP() {
		return build.DownstreamTLS(build.Options{})
	}
	return build.DownstreamTLSForTCP(build.Options{})
}

func inboundChain(in inboundPort, transport string) *listenerv3.FilterChain {
	cluster := InboundClusterName(in.Port)
	name := in.Chain
	if name == "" {
		name = "0.0.0.0_" + portString(in.Port)
	}
	fc := &listenerv3.FilterChain{
		Name:             name,
		FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: wrapperspb.UInt32(in.Port), TransportProtocol: transport},
	}
	if !in.Protocol.IsHTTP() {
		fc.Filters = []*listenerv3.Filter{tcpProxy(cluster, cluster)}
		return fc
	}
	fc.Filters = []*listenerv3.Filter{sidecarHCMFilter(build.HCMOptions{
		StatPrefix: cluster,
		Inline:     inboundRoutes(cluster, in),
	})}
	return fc
}

func inboundRoutes(cluster string, in inboundPort) *routev3.RouteConfiguration {
	port := in.Port
	return &routev3.RouteConfiguration{
		Name: cluster,
		VirtualHosts: []*routev3.VirtualHost{{
			Name:    "inbound|http|" + portString(port),
			Domains: []string{"*"},
			Routes: []*routev3.Route{{
				Name:   "default",
				Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: inboundRouteAction(cluster, in.Protocol == mesh.ProtocolGRPC)},
			}},
		}},
	}
}
