package envoy

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

const wildcardAddress = "0.0.0.0"

// egressBind is the address of an outbound HTTP listener and whether it
// binds the port itself, as istiod reads a Sidecar egress listener:
// captureMode NONE binds bind (127.0.0.1 by default) for applications
// that call it directly; otherwise the listener serves redirected
// connections on bind, 0.0.0.0 by default.
func egressBind(eg *mesh.EgressListener) (addr string, bindToPort bool) {
	addr = wildcardAddress
	if eg == nil {
		return addr, false
	}
	if eg.CaptureNone {
		addr = mesh.LocalhostEndpoint
	}
	if eg.Bind != "" {
		addr = eg.Bind
	}
	return addr, eg.CaptureNone
}

// routedAsHTTP: a Sidecar egress listener on the port sets the listener's
// protocol, as in istiod (an HTTP service behind a TCP egress port is
// proxied as TCP); otherwise the service port's protocol does.
func routedAsHTTP(scope *mesh.Scope, vh *mesh.VirtualHost) bool {
	if l := scope.PortListener(vh.Port.Number); l != nil {
		return l.Port.Protocol.IsHTTP()
	}
	return vh.Port.Protocol.IsHTTP()
}

// tcpListeners serve the ports proxied as TCP: one listener per service
// address, or, where a Sidecar egress listener binds the port (bind or
// captureMode NONE), one listener on that address for the first service
// by host name, as istiod keeps the first on such a conflict.
func tcpListeners(m *mesh.Mesh, p *xds.Proxy, scope *mesh.Scope) []*listenerv3.Listener {
	var out []*listenerv3.Listener
	bound := map[uint32]bool{}
	for _, vh := range m.VirtualHosts {
		if routedAsHTTP(scope, vh) {
			continue
		}
		eg := scope.PortListener(vh.Port.Number)
		switch {
		case eg == nil || eg.Bind == "" && !eg.CaptureNone:
			out = append(out, tcpOutbound(m, vh, p)...)
		case !bound[vh.Port.Number]:
			bound[vh.Port.Number] = true
			out = append(out, tcpBound(m, vh, p, eg))
		}
	}
	return out
}

// tcpBound is a TCP egress port's listener on its bind address.
func tcpBound(m *mesh.Mesh, vh *mesh.VirtualHost, p *xds.Proxy, eg *mesh.EgressListener) *listenerv3.Listener {
	addr, bind := egressBind(eg)
	name := addr + "_" + portString(vh.Port.Number)
	return &listenerv3.Listener{
		Name:             name,
		Address:          build.SocketAddress(addr, vh.Port.Number),
		BindToPort:       wrapperspb.Bool(bind),
		FilterChains:     []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{tcpRoute(m, vh, p, "outbound_"+name)}}},
		TrafficDirection: corev3.TrafficDirection_OUTBOUND,
	}
}
