package build

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// HTTPProtocolOptionsKey is the typed_extension_protocol_options key of
// upstream HTTP settings.
const HTTPProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// setConnectionPool maps Istio's connection pool onto circuit breakers.
// Envoy sidecars always get thresholds, unlimited where the pool leaves a
// limit unset (Istio's default); grpc-go reads only max_requests, so
// proxyless clusters carry that alone and only when set.
func setConnectionPool(out *clusterv3.Cluster, cp *mesh.ConnectionPool, opts Options) {
	if opts.Proxyless {
		setProxylessPool(out, cp)
		return
	}
	out.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{sidecarThresholds(cp)}}
	if cp == nil {
		return
	}
	if cp.ConnectTimeout > 0 {
		out.ConnectTimeout = durationpb.New(cp.ConnectTimeout)
	}
	setTCPKeepalive(out, cp.TCPKeepalive)
}

// setTCPKeepalive turns SO_KEEPALIVE on, overriding the system's probes,
// idle time and interval (whole seconds) where the rule sets them.
func setTCPKeepalive(out *clusterv3.Cluster, k *mesh.TCPKeepalive) {
	if k == nil {
		return
	}
	ka := &corev3.TcpKeepalive{KeepaliveProbes: optU32(k.Probes)}
	if k.Time > 0 {
		ka.KeepaliveTime = wrapperspb.UInt32(uint32(k.Time / time.Second))
	}
	if k.Interval > 0 {
		ka.KeepaliveInterval = wrapperspb.UInt32(uint32(k.Interval / time.Second))
	}
	out.UpstreamConnectionOptions = &clusterv3.UpstreamConnectionOptions{TcpKeepalive: ka}
}

func setProxylessPool(out *clusterv3.Cluster, cp *mesh.ConnectionPool) {
	if cp == nil {
		return
	}
	if cp.ConnectTimeout > 0 {
		out.ConnectTimeout = durationpb.New(cp.ConnectTimeout)
	}
	t := &clusterv3.CircuitBreakers_Thresholds{}
	if cp.MaxRequests > 0 {
		t.MaxRequests = wrapperspb.UInt32(cp.MaxRequests)
	}
	out.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{t}}
}

func optU32(v uint32) *wrapperspb.UInt32Value {
	if v == 0 {
		return nil
	}
	return wrapperspb.UInt32(v)
}

// setHTTPProtocolOptions sets the upstream HTTP settings as istiod does:
// HTTP/2 for HTTP/2 and gRPC ports or h2UpgradePolicy UPGRADE, the
// client's own protocol under useClientProtocol, HTTP/1.1 otherwise; none
// at all when the port is HTTP/1 and the pool sets no connection option.
func setHTTPProtocolOptions(out *clusterv3.Cluster, c *mesh.Cluster) {
	cp := c.Policy.ConnectionPool
	if cp == nil {
		cp = &mesh.ConnectionPool{}
	}
	common := commonHTTPOptions(cp)
	h2 := speaksHTTP2(c)
	if common == nil && !h2 && !cp.UseClientProtocol {
		return
	}
	o := &httpv3.HttpProtocolOptions{CommonHttpProtocolOptions: common}
	switch {
	case cp.UseClientProtocol:
		// istiod replaces any HTTP/2 settings with empty ones here, so
		// maxConcurrentStreams and http2KeepAlive do not apply.
		o.UpstreamProtocolOptions = &httpv3.HttpProtocolOptions_UseDownstreamProtocolConfig{
			UseDownstreamProtocolConfig: &httpv3.HttpProtocolOptions_UseDownstreamHttpConfig{
				HttpProtocolOptions: &corev3.Http1ProtocolOptions{}, Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}}}
	case h2:
		o.UpstreamProtocolOptions = explicit(&httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: http2Options(cp)}})
	default:
		o.UpstreamProtocolOptions = explicit(&httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_HttpProtocolOptions{HttpProtocolOptions: &corev3.Http1ProtocolOptions{}}})
	}
	out.TypedExtensionProtocolOptions = map[string]*anypb.Any{HTTPProtocolOptionsKey: mustAny(o)}
}

func explicit(c *httpv3.HttpProtocolOptions_ExplicitHttpConfig) *httpv3.HttpProtocolOptions_ExplicitHttpConfig_ {
	return &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: c}
}

// commonHTTPOptions holds the per-connection limits; nil when the pool
// sets none of the options istiod writes into the HTTP settings.
func commonHTTPOptions(cp *mesh.ConnectionPool) *corev3.HttpProtocolOptions {
	idle := idleTimeout(cp)
	if idle == nil && cp.MaxRequestsPerConnection == 0 && cp.MaxConnectionDuration == 0 &&
		cp.MaxConcurrentStreams == 0 && cp.H2KeepAlive == nil {
		return nil
	}
	o := &corev3.HttpProtocolOptions{IdleTimeout: idle, MaxRequestsPerConnection: optU32(cp.MaxRequestsPerConnection)}
	if cp.MaxConnectionDuration > 0 {
		o.MaxConnectionDuration = durationpb.New(cp.MaxConnectionDuration)
	}
	return o
}

// idleTimeout is http.idleTimeout, else tcp.idleTimeout (whose 0s turns
// the timeout off), as istiod falls back; nil keeps Envoy's hour.
func idleTimeout(cp *mesh.ConnectionPool) *durationpb.Duration {
	switch {
	case cp.IdleTimeout > 0:
		return durationpb.New(cp.IdleTimeout)
	case cp.TCPIdleTimeout != nil:
		return durationpb.New(*cp.TCPIdleTimeout)
	}
	return nil
}

// http2Options carries maxConcurrentStreams and the HTTP/2 PING keepalive.
func http2Options(cp *mesh.ConnectionPool) *corev3.Http2ProtocolOptions {
	o := &corev3.Http2ProtocolOptions{MaxConcurrentStreams: optU32(cp.MaxConcurrentStreams)}
	if k := cp.H2KeepAlive; k != nil {
		o.ConnectionKeepalive = &corev3.KeepaliveSettings{Interval: durationpb.New(k.Interval), Timeout: durationpb.New(k.Timeout)}
	}
	return o
}
