package envoy

import (
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// withPoolLimits puts tcp.idleTimeout and tcp.maxConnectionDuration on a
// TCP proxy, as istiod: they belong to the listener, so with weighted
// destinations the first destination's DestinationRule sets them for
// all, and a subset's own pool does not apply (the host's default
// cluster's is used).
func withPoolLimits(m *mesh.Mesh, first mesh.ClusterKey, tp *tcpv3.TcpProxy) *tcpv3.TcpProxy {
	first.Subset = ""
	c := m.Cluster(first)
	if c == nil || c.Policy.ConnectionPool == nil {
		return tp
	}
	cp := c.Policy.ConnectionPool
	if cp.TCPIdleTimeout != nil {
		tp.IdleTimeout = durationpb.New(*cp.TCPIdleTimeout)
	}
	if cp.MaxConnectionDuration > 0 {
		tp.MaxDownstreamConnectionDuration = durationpb.New(cp.MaxConnectionDuration)
	}
	return tp
}
