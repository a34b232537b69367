package translate

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// isTLSPort: Istio routes TLS and HTTPS ports by the VirtualService's tls
// rules (matched on SNI, TLS not terminated); its tcp rules do not apply
// there, nor tls rules on other ports.
func isTLSPort(p mesh.Protocol) bool { return p == mesh.ProtocolTLS || p == mesh.ProtocolHTTPS }

// tlsRoutes converts every tls rule of the VirtualService, in order.
func (c converter) tlsRoutes() []*mesh.TLSRoute {
	var out []*mesh.TLSRoute
	for i, r := range c.vs.vs.Spec.GetTls() {
		out = append(out, c.tlsRoute(r, i)...)
	}
	return out
}

// tlsRoute makes one route per match that applies to sidecars: a match
// naming gateways other than "mesh" is for gateways only, as in istiod. A
// rule without destinations routes nothing.
func (c converter) tlsRoute(r *networking.TLSRoute, i int) []*mesh.TLSRoute {
	routes := r.GetRoute()
	if len(routes) == 0 {
		return nil
	}
	origin := c.vs.vs.Namespace + "/" + c.vs.vs.Name + ".tls[" + itoa(i) + "]"
	dests := make([]mesh.Destination, 0, len(routes))
	for _, rd := range routes {
		dests = append(dests, mesh.Destination{Cluster: c.clusterKey(rd.GetDestination()), Weight: mesh.NormalizedWeight(rd.GetWeight(), len(routes))})
	}
	var out []*mesh.TLSRoute
	for _, m := range r.GetMatch() {
		if !appliesToMesh(m.GetGateways()) {
			continue
		}
		out = append(out, &mesh.TLSRoute{SNIHosts: m.GetSniHosts(), DestinationSubnets: m.GetDestinationSubnets(), Port: m.GetPort(),
			SourceLabels: m.GetSourceLabels(), SourceNamespace: m.GetSourceNamespace(), Destinations: dests, Origin: origin})
	}
	return out
}

// warnRulesWithoutPorts reports tcp and tls rules that no port of the
// VirtualService's hosts can use: Istio applies tls rules on TLS and HTTPS
// ports only and tcp rules on other non-HTTP ports, so such rules are
// ignored (by istiod too). Wildcard hosts may match ports not known here.
func (t *translator) warnRulesWithoutPorts(b boundVS) {
	var tlsPort, tcpPort bool
	for _, h := range b.hosts {
		svc := t.byHost[h]
		if svc == nil {
			if strings.HasPrefix(h, "*") {
				return
			}
			continue
		}
		for _, p := range svc.Ports {
			tlsPort = tlsPort || isTLSPort(p.Protocol)
			tcpPort = tcpPort || !isTLSPort(p.Protocol) && !p.Protocol.IsHTTP()
		}
	}
	if len(b.vs.Spec.GetTls()) > 0 && !tlsPort {
		t.unsupported(b.ref, "spec.tls", "no host of this VirtualService has a TLS or HTTPS port, the only ports tls rules apply to: ignored, as by istiod")
	}
	if len(b.vs.Spec.GetTcp()) > 0 && !tcpPort {
		t.unsupported(b.ref, "spec.tcp", "no host of this VirtualService has a TCP port (tcp rules do not apply to HTTP, TLS or HTTPS ports): ignored, as by istiod")
	}
}
