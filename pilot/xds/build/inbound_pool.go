package build

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// InboundConnectionPool applies a connection pool (a Sidecar's ingress
// port or inboundConnectionPool, else the DestinationRule of the workload's
// own service) to an inbound cluster, as istiod applies it: the same
// circuit breakers, timeouts and keepalive as an outbound pool, and the
// per-connection HTTP limits in the port protocol's upstream settings.
// HTTP/2 and gRPC ports speak HTTP/2 to the application, pool or not.
// h2UpgradePolicy and useClientProtocol are outbound choices istiod
// leaves off inbound clusters.
func InboundConnectionPool(out *clusterv3.Cluster, cp *mesh.ConnectionPool, protocol mesh.Protocol) {
	if cp != nil {
		setConnectionPool(out, cp, Options{})
	} else {
		cp = &mesh.ConnectionPool{}
	}
	common := commonHTTPOptions(cp)
	if common == nil && !protocol.IsHTTP2() {
		return
	}
	o := &httpv3.HttpProtocolOptions{CommonHttpProtocolOptions: common}
	if protocol.IsHTTP2() {
		o.UpstreamProtocolOptions = explicit(&httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: http2Options(cp)}})
	} else {
		o.UpstreamProtocolOptions = explicit(&httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_HttpProtocolOptions{HttpProtocolOptions: &corev3.Http1ProtocolOptions{}}})
	}
	out.TypedExtensionProtocolOptions = map[string]*anypb.Any{HTTPProtocolOptionsKey: mustAny(o)}
}
