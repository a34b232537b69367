package build

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// InboundConnectionPool applies a Sidecar's connection pool (ingress port
// or inboundConnectionPool) to an inbound cluster, as istiod applies it:
// the same circuit breakers, timeouts and keepalive as an outbound pool.
func InboundConnectionPool(out *clusterv3.Cluster, cp *mesh.ConnectionPool) {
	if cp != nil {
		setConnectionPool(out, cp, Options{})
	}
}
