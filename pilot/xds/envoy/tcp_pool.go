package envoy

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// withPoolLimits puts the DestinationRule's tcp.idleTimeout and
// tcp.maxConnectionDuration on a TCP proxy, as istiod: they are listener
// state, so with weighted destinations the first destination's rule sets
// them for all, and only the rule's top-level policy counts
// (mesh.TCPProxyLimits).
func withPoolLimits(m *mesh.Mesh, first mesh.ClusterKey, tp *tcpv3.TcpProxy) *tcpv3.TcpProxy {
	c := m.Cluster(first)
	if c == nil || c.Policy.TCPProxy == nil {
		return tp
	}
	t := c.Policy.TCPProxy
	if t.IdleTimeout != nil {
		tp.IdleTimeout = durationpb.New(*t.IdleTimeout)
	}
	if t.MaxConnectionDuration > 0 {
		tp.MaxDownstreamConnectionDuration = durationpb.New(t.MaxConnectionDuration)
	}
	return tp
}

// tcpToDestinations proxies to a rule's destinations: one cluster, or a
// weighted split (zero weights left out); the first destination's pool
// limits apply to all.
func tcpToDestinations(m *mesh.Mesh, dests []mesh.Destination, listenerPort uint32, statPrefix string) *listenerv3.Filter {
	opts := build.Options{ListenerPort: listenerPort}
	first := build.ResolvePort(dests[0].Cluster, opts)
	if len(dests) == 1 {
		return tcpFilter(withPoolLimits(m, first, tcpToCluster(statPrefix, build.ClusterName(dests[0].Cluster, opts))))
	}
	wc := &tcpv3.TcpProxy_WeightedCluster{}
	for _, d := range mesh.TrafficSplit(dests) {
		wc.Clusters = append(wc.Clusters, &tcpv3.TcpProxy_WeightedCluster_ClusterWeight{
			Name: build.ClusterName(d.Cluster, opts), Weight: d.Weight})
	}
	tp := &tcpv3.TcpProxy{StatPrefix: statPrefix, ClusterSpecifier: &tcpv3.TcpProxy_WeightedClusters{WeightedClusters: wc}}
	return tcpFilter(withPoolLimits(m, first, tp))
}
