package build

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// LocalityLoadAssignment writes one LocalityLbEndpoints per group, with its
// locality, priority and a weight of at least 1 (grpc-go ignores localities
// weighing 0). pa decides which endpoints automatic mTLS may use mTLS to.
func LocalityLoadAssignment(cluster string, groups []mesh.LocalityGroup, pa mesh.PeerAuthn) *endpointv3.ClusterLoadAssignment {
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: cluster}
	for _, g := range groups {
		loc := mesh.ParseLocality(g.Locality)
		out := &endpointv3.LocalityLbEndpoints{
			Locality:            &corev3.Locality{Region: loc.Region, Zone: loc.Zone, SubZone: loc.Subzone},
			Priority:            g.Priority,
			LoadBalancingWeight: wrapperspb.UInt32(max(g.Weight, 1)),
		}
		for _, ep := range g.Endpoints {
			out.LbEndpoints = append(out.LbEndpoints, lbEndpoint(ep, SocketAddress(ep.Address, ep.Port), pa.AcceptsMeshTLS(ep)))
		}
		cla.Endpoints = append(cla.Endpoints, out)
	}
	return cla
}

// ProxyLoadAssignment is the cluster's endpoints as the proxy at v sees
// them: grouped by locality, with the priorities and weights its
// localityLbSetting gives from there.
func ProxyLoadAssignment(c *mesh.Cluster, m *mesh.Mesh, v mesh.LocalityView) *endpointv3.ClusterLoadAssignment {
	return LocalityLoadAssignment(c.Key.String(), c.LocalityGroups(m.LocalityLB, v), m.PeerAuthn)
}

// dnsLoadAssignment is a DNS cluster's inline endpoints, ranked from the
// proxy's locality as istiod ranks them when it has one.
func dnsLoadAssignment(name string, c *mesh.Cluster, opts Options) *endpointv3.ClusterLoadAssignment {
	if opts.Locality == nil || opts.Mesh == nil {
		return LoadAssignment(name, c.Endpoints(), peerAuthnOf(opts))
	}
	return LocalityLoadAssignment(name, c.LocalityGroups(opts.Mesh.LocalityLB, *opts.Locality), peerAuthnOf(opts))
}

// setLocalityWeighted turns on Envoy's locality-weighted balancing where
// Istio does: with distribute weights, or with failover rules under
// outlier detection. grpc-go always weighs localities and is not told.
func setLocalityWeighted(out *clusterv3.Cluster, c *mesh.Cluster, opts Options) {
	if opts.Proxyless || out.GetType() != clusterv3.Cluster_EDS && out.GetType() != clusterv3.Cluster_STRICT_DNS {
		return
	}
	var meshDefault *mesh.LocalityLB
	if opts.Mesh != nil {
		meshDefault = opts.Mesh.LocalityLB
	}
	lb := mesh.EffectiveLocalityLB(c.Policy.LocalityLB, meshDefault)
	if lb == nil {
		return
	}
	failover := c.Policy.OutlierDetection != nil && (len(lb.Failover) > 0 || len(lb.FailoverPriority) > 0)
	if len(lb.Distribute) == 0 && !failover {
		return
	}
	if out.CommonLbConfig == nil {
		out.CommonLbConfig = &clusterv3.Cluster_CommonLbConfig{}
	}
	out.CommonLbConfig.LocalityConfigSpecifier = &clusterv3.Cluster_CommonLbConfig_LocalityWeightedLbConfig_{
		LocalityWeightedLbConfig: &clusterv3.Cluster_CommonLbConfig_LocalityWeightedLbConfig{}}
}
