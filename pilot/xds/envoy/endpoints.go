package envoy

import (
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Endpoints returns one ClusterLoadAssignment per EDS cluster.
func Endpoints(m *mesh.Mesh) []*endpointv3.ClusterLoadAssignment {
	out := make([]*endpointv3.ClusterLoadAssignment, 0, len(m.Clusters))
	for _, c := range m.Clusters {
		if c.Service.Resolution != mesh.ResolutionEDS {
			continue
		}
		out = append(out, build.LoadAssignment(c.Key.String(), c.Endpoints(), m.PeerAuthn))
	}
	return out
}
