package envoy

import (
	"net/netip"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsinspector "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// inboundPort is one port the proxy serves inbound: a Service port the
// workload backs, or a Sidecar ingress listener, which replace them all.
type inboundPort struct {
	Port     uint32 // the application port: chain match and cluster name
	Protocol mesh.Protocol
	Ingress  *mesh.IngressListener // nil for a Service port
	// Instance is the Service port the cluster serves (the first one with
	// this target port); nil for an ingress listener.
	Instance *mesh.Instance
	// Chain names the port's filter chains as istiod does: 0.0.0.0_PORT
	// for a Service port, INSTANCE-IP_PORT for an ingress listener
	// (BIND_PORT when it has a listener of its own).
	Chain string
}

// inboundPortsOf lists the proxy's inbound ports as istiod does: with a
// Sidecar that has ingress listeners only those ports get chains and
// clusters (the first listener of a port wins); otherwise one per
// distinct target port of the Services the workload backs.
func inboundPortsOf(m *mesh.Mesh, p *xds.Proxy) []inboundPort {
	scope := m.ScopeFor(p.Namespace, p.Labels)
	var out []inboundPort
	if !scope.HasIngress() {
		for _, in := range inboundPorts(m, p) {
			out = append(out, inboundPort{Port: in.TargetPort, Protocol: in.Port.Protocol, Instance: &in, Chain: "0.0.0.0_" + portString(in.TargetPort)})
		}
		return out
	}
	seen := map[uint32]bool{}
	for i := range scope.Ingress {
		in := &scope.Ingress[i]
		if !seen[in.Port.Number] {
			seen[in.Port.Number] = true
			ip := inboundPort{Port: in.Port.Number, Protocol: in.Port.Protocol, Ingress: in}
			ip.Chain = ip.bindAddress(p) + "_" + portString(ip.Port)
			out = append(out, ip)
		}
	}
	return out
}

// bindAddress is the address istiod names an ingress port's chains by:
// its bind for a listener of its own, else the instance IP.
func (ip inboundPort) bindAddress(p *xds.Proxy) string {
	if ip.boundIngress() && ip.Ingress.Bind != "" {
		return ip.Ingress.Bind
	}
	if p.IP == "" {
		return "0.0.0.0"
	}
	return p.IP
}

// boundIngress reports whether the port is served by a listener of its
// own (captureMode NONE) rather than by virtualInbound's chains.
func (ip inboundPort) boundIngress() bool { return ip.Ingress != nil && ip.Ingress.CaptureNone }

// inboundClusters builds inbound|PORT|| for each inbound port with its
// connection pool.
func inboundClusters(m *mesh.Mesh, p *xds.Proxy) []*clusterv3.Cluster {
	scope := m.ScopeFor(p.Namespace, p.Labels)
	var out []*clusterv3.Cluster
	for _, ip := range inboundPortsOf(m, p) {
		c := inboundClusterFor(ip, p)
		build.InboundConnectionPool(c, inboundPool(m, scope, ip), ip.Protocol)
		out = append(out, c)
	}
	return out
}

// inboundPool is the connection pool of an inbound port as istiod picks
// it: the Sidecar's (the ingress port's, else inboundConnectionPool),
// else that of the DestinationRule for the workload's own service, port
// level included, as the proxy sees it. Ingress listeners have no service.
func inboundPool(m *mesh.Mesh, scope *mesh.Scope, ip inboundPort) *mesh.ConnectionPool {
	if cp := scope.InboundPool(ip.Port); cp != nil || ip.Instance == nil {
		return cp
	}
	c := m.Cluster(mesh.ClusterKey{Direction: mesh.Outbound, Port: ip.Instance.Port.Number, Host: ip.Instance.Service.Hostname})
	if c == nil {
		return nil
	}
	return c.Policy.ConnectionPool
}

// inboundClusterFor forwards to the original destination, or to the
// ingress listener's defaultEndpoint: a STATIC cluster on that address
// (localhost, the pod IP for "0.0.0.0") or unix socket.
func inboundClusterFor(ip inboundPort, p *xds.Proxy) *clusterv3.Cluster {
	name := InboundClusterName(ip.Port)
	if ip.Ingress == nil {
		return inboundCluster(name)
	}
	addr, port, unix, ok := ip.Ingress.Endpoint(p.IP)
	if !ok {
		return inboundCluster(name)
	}
	c := inboundCluster(name)
	c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}
	c.LbPolicy, c.CleanupInterval = clusterv3.Cluster_ROUND_ROBIN, nil
	target := build.SocketAddress(addr, port)
	if unix {
		target = &corev3.Address{Address: &corev3.Address_Pipe{Pipe: &corev3.Pipe{Path: addr}}}
	}
	c.LoadAssignment = &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{
		LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{
			Endpoint: &endpointv3.Endpoint{Address: target}}}},
	}}}
	// Connections to localhost are not captured again, and a unix socket
	// has no source IP to bind: only the pod IP needs 127.0.0.6.
	if unix || isLoopback(addr) {
		c.UpstreamBindConfig = nil
	}
	return c
}

func isLoopback(addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && a.IsLoopback()
}

// ingressListener is the listener of a captureMode NONE ingress port,
// bound on its bind address (the pod IP by default), named BIND_PORT as
// in istiod, with the port's chains.
func ingressListener(ip inboundPort, p *xds.Proxy, chains []*listenerv3.FilterChain) *listenerv3.Listener {
	bind := ip.Ingress.Bind
	if bind == "" {
		bind = p.IP
	}
	l := &listenerv3.Listener{
		Name:             bind + "_" + portString(ip.Port),
		Address:          build.SocketAddress(bind, ip.Port),
		FilterChains:     chains,
		TrafficDirection: corev3.TrafficDirection_INBOUND,
	}
	for _, fc := range chains {
		if fc.GetFilterChainMatch().GetTransportProtocol() == "tls" {
			l.ListenerFilters = []*listenerv3.ListenerFilter{{
				Name:       "envoy.filters.listener.tls_inspector",
				ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: build.MustAny(&tlsinspector.TlsInspector{})},
			}}
			break
		}
	}
	return l
}

// boundIngressListeners are the listeners of captureMode NONE ingress
// ports, with the chains the port's mTLS mode calls for.
func boundIngressListeners(m *mesh.Mesh, p *xds.Proxy) []*listenerv3.Listener {
	var out []*listenerv3.Listener
	for _, ip := range inboundPortsOf(m, p) {
		if ip.boundIngress() {
			chains := inboundChains(ip, m.PeerAuthn.Mode(p.Namespace, p.Labels, ip.Port))
			out = append(out, ingressListener(ip, p, chains))
		}
	}
	return out
}

// ingressPodIP is the proxy's IP when its Sidecar has ingress listeners:
// istiod names their chains by it (and a "0.0.0.0" defaultEndpoint or a
// default bind uses it), so proxies of one deployment do not share them.
func ingressPodIP(m *mesh.Mesh, p *xds.Proxy) string {
	if !m.ScopeFor(p.Namespace, p.Labels).HasIngress() {
		return ""
	}
	return p.IP
}
