package grpcgen

import (
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// localityKey names what of the client its endpoints depend on, so clients
// in one locality share them.
func localityKey(m *mesh.Mesh, p *xds.Proxy) string { return m.LocalityViewKey(p.LocalityView()) }

// loadAssignment is the cluster's endpoints as the client sees them from
// its locality: grpc-go's cluster resolver turns priorities into its
// priority balancer and locality weights into weighted_target, as Envoy
// reads them, so the same assignment serves both.
func loadAssignment(name string, c *mesh.Cluster, m *mesh.Mesh, p *xds.Proxy) *endpointv3.ClusterLoadAssignment {
	cla := build.ProxyLoadAssignment(c, m, p.LocalityView())
	cla.ClusterName = name
	return cla
}
