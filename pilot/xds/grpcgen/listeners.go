package grpcgen

import (
	"net"
	"strconv"
	"strings"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// ServerListenerTemplate is the server_listener_resource_name_template
// proxyless servers put in their bootstrap; it is Istio's, so bootstraps
// written for istiod work unchanged.
const ServerListenerTemplate = "xds.istio.io/grpc/lds/inbound/%s"

const serverListenerMarker = "/grpc/lds/inbound/"

// ServerAddress extracts IP:PORT from a server listener name.
func ServerAddress(name string) (*net.TCPAddr, bool) {
	_, hostport, ok := strings.Cut(name, serverListenerMarker)
	if !ok {
		return nil, false
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	ip := net.ParseIP(host)
	if err != nil || ip == nil {
		return nil, false
	}
	return &net.TCPAddr{IP: ip, Port: int(n)}, true
}

// clientListener is an API listener: no socket, just the HTTP connection
// manager grpc-go runs in-process, routes fetched by RDS.
func clientListener(name string) *listenerv3.Listener {
	return &listenerv3.Listener{
		Name: name,
		ApiListener: &listenerv3.ApiListener{ApiListener: build.MustAny(build.HTTPConnectionManager(build.HCMOptions{
			StatPrefix: name,
			RDS:        name,
			Filters:    build.ProxylessClientFilters,
		}))},
	}
}

// serverListener accepts every RPC on addr. grpc-go only serves when the
// listener's address equals the one it listens on, and only routes whose
// action is non-forwarding.
func serverListener(name string, addr *net.TCPAddr, mode mesh.MTLSMode, p *xds.Proxy, deg *build.Degradations) *listenerv3.Listener {
	if mode == mesh.MTLSStrict && !p.HasCertProvider(build.CertProviderInstance) {
		// Serving plaintext would break the policy; without a listener the
		// server reports NOT_SERVING instead.
		deg.Add("STRICT mTLS on " + addr.String() + " but the bootstrap declares no certificate provider: not serving")
		return nil
	}
	port := uint32(addr.Port)
	rc := &routev3.RouteConfiguration{
		Name: "inbound|" + strconv.Itoa(addr.Port) + "||",
		VirtualHosts: []*routev3.VirtualHost{{
			Name:    "inbound|" + strconv.Itoa(addr.Port),
			Domains: []string{"*"},
			Routes: []*routev3.Route{{
				Name:   "default",
				Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_NonForwardingAction{NonForwardingAction: &routev3.NonForwardingAction{}},
			}},
		}},
	}
	chain := &listenerv3.FilterChain{
		Name: rc.Name,
		Filters: []*listenerv3.Filter{build.HCMFilter(build.HCMOptions{
			StatPrefix: rc.Name,
			Inline:     rc,
			Filters:    build.ProxylessServerFilters,
		})},
	}
	if mode == mesh.MTLSStrict {
		chain.TransportSocket = build.DownstreamTLS(build.Options{Proxyless: true})
	}
	return &listenerv3.Listener{
		Name:         name,
		Address:      build.SocketAddress(addr.IP.String(), port),
		FilterChains: []*listenerv3.FilterChain{chain},
	}
}

// serverMode is the mode the server's port is built with. grpc-go keeps
// only filter chains matching transport_protocol "" or "raw_buffer" (gRFC
// A36), so one port cannot accept both TLS and plaintext. As istiod does,
// PERMISSIVE becomes STRICT on a workload labelled tlsMode=istio (the label
// tells mesh clients to use mTLS to it) and plaintext otherwise.
func serverMode(m *mesh.Mesh, p *xds.Proxy, addr *net.TCPAddr, deg *build.Degradations) mesh.MTLSMode {
	mode := m.PeerAuthn.Mode(p.Namespace, p.Labels, uint32(addr.Port))
	if mode != mesh.MTLSPermissive {
		return mode
	}
	labelled := p.Labels[mesh.TLSModeLabel] == "istio"
	hasCerts := p.HasCertProvider(build.CertProviderInstance)
	switch {
	case labelled && !hasCerts:
		deg.Add("PERMISSIVE mTLS on " + addr.String() + " served as plaintext: the workload is labelled " +
			mesh.TLSModeLabel + "=istio but its bootstrap declares no certificate provider, so mesh clients sending mTLS fail")
		return mesh.MTLSDisable
	case labelled:
		if m.PeerAuthn.Any() {
			deg.Add("PERMISSIVE mTLS served as mTLS only on " + addr.String() + " (workload labelled " + mesh.TLSModeLabel +
				"=istio): grpc-go cannot accept TLS and plaintext on one port, plaintext clients are refused")
		}
		return mesh.MTLSStrict
	}
	if m.PeerAuthn.Any() {
		deg.Add("PERMISSIVE mTLS served as plaintext on " + addr.String() + ": grpc-go cannot accept TLS and plaintext on one port")
	}
	return mesh.MTLSDisable
}
