package envoy

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Names of the catch-all clusters Istio users know.
const (
	BlackHoleCluster          = "BlackHoleCluster"
	PassthroughCluster        = "PassthroughCluster"
	InboundPassthroughCluster = "InboundPassthroughCluster"
)

// Clusters returns outbound clusters for every mesh cluster, inbound
// clusters for the proxy's own ports, and the catch-all clusters.
func Clusters(m *mesh.Mesh, p *xds.Proxy, deg *build.Degradations) []*clusterv3.Cluster {
	out := make([]*clusterv3.Cluster, 0, len(m.Clusters)+4)
	for _, c := range m.Clusters {
		if cl := build.Cluster(c, build.Options{Mesh: m, Locality: dnsLocality(m, p)}, deg); cl != nil {
			out = append(out, withProxyDNSFamily(cl, p))
		}
	}
	out = append(out, inboundClusters(m, p)...)
	return append(out, blackHole(), originalDst(PassthroughCluster), originalDst(InboundPassthroughCluster))
}

// InboundClusterName is inbound|PORT|| for the application's port.
func InboundClusterName(port uint32) string {
	return mesh.ClusterKey{Direction: mesh.Inbound, Port: port}.String()
}

// inboundPorts lists the proxy's distinct application ports with protocol.
func inboundPorts(m *mesh.Mesh, p *xds.Proxy) []xds.Instance {
	seen := map[uint32]bool{}
	var out []xds.Instance
	for _, in := range xds.InstancesOf(m, p) {
		if !seen[in.TargetPort] {
			seen[in.TargetPort] = true
			out = append(out, in)
		}
	}
	return out
}

func blackHole() *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 BlackHoleCluster,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:       durationpb.New(defaultConnectTimeout),
	}
}

func originalDst(name string) *clusterv3.Cluster {
	c := &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST},
		LbPolicy:             clusterv3.Cluster_CLUSTER_PROVIDED,
		ConnectTimeout:       durationpb.New(defaultConnectTimeout),
		// Istio's passthrough clusters are unlimited too: Envoy's defaults
		// would cap traffic to destinations outside the mesh.
		CircuitBreakers: build.UnlimitedCircuitBreakers(),
	}
	if name == InboundPassthroughCluster {
		c.UpstreamBindConfig = passthroughBind()
	}
	return c
}

const defaultConnectTimeout = 10e9
