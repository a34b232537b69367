package envoy

import (
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Endpoints returns one ClusterLoadAssignment per EDS cluster, as a proxy
// at v sees them: localities ranked and weighted from there. Everything of
// the proxy they read is in v, whose mesh.LocalityViewKey shares them.
func Endpoints(m *mesh.Mesh, v mesh.LocalityView) []*endpointv3.ClusterLoadAssignment {
	out := make([]*endpointv3.ClusterLoadAssignment, 0, len(m.Clusters))
	for _, c := range m.Clusters {
		if c.Service.Resolution != mesh.ResolutionEDS {
			continue
		}
		out = append(out, build.ProxyLoadAssignment(c, m, v))
	}
	return out
}

// dnsLocality is the proxy's view for DNS clusters' inline endpoints, nil
// when none of them depends on it (so clusters stay shared across localities).
func dnsLocality(m *mesh.Mesh, p *xds.Proxy) *mesh.LocalityView {
	if !m.DNSLocalitySensitive() {
		return nil
	}
	v := p.LocalityView()
	return &v
}

// dnsLocalityKey names what of the proxy its clusters read through dnsLocality.
func dnsLocalityKey(m *mesh.Mesh, p *xds.Proxy) string {
	if !m.DNSLocalitySensitive() {
		return ""
	}
	return m.LocalityViewKey(p.LocalityView())
}
