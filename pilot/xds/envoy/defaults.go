package envoy

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/xds/build"
)

// InboundPassthroughBindIP is the source address Istio's sidecar uses
// towards its own application: iptables skips traffic from it, so the
// connection reaches the pod IP instead of being captured again.
const InboundPassthroughBindIP = "127.0.0.6"

// neverCleanup is about the longest time.Duration, in seconds (the value
// istiod sends): an inbound ORIGINAL_DST cluster only ever has the pod's
// own ports as hosts, so there is nothing to clean up.
const neverCleanup = 9223372035

// sidecarHCMFilter is an HTTP connection manager with the defaults every
// Istio sidecar has: no stream idle timeout (Envoy's is 5 minutes, which
// cuts quiet long-lived streams), WebSocket upgrades allowed, and paths
// normalised per RFC 3986 before routing (meshConfig.pathNormalization
// DEFAULT: normalize_path only, slashes not merged, escaped slashes kept).
func sidecarHCMFilter(o build.HCMOptions) *listenerv3.Filter {
	h := build.HTTPConnectionManager(o)
	h.StreamIdleTimeout = build.NoTimeout()
	h.UpgradeConfigs = []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "websocket"}}
	h.NormalizePath = wrapperspb.Bool(true)
	h.PathWithEscapedSlashesAction = hcmv3.HttpConnectionManager_KEEP_UNCHANGED
	return &listenerv3.Filter{Name: build.FilterHCM, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: build.MustAny(h)}}
}

// inboundRouteAction forwards to the application with Istio's inbound
// defaults: no route timeout and no stream duration limit (the caller's
// sidecar owns timeouts), the grpc-timeout header honoured uncapped, and
// for non-gRPC ports two retries of requests reset before any byte was
// sent (a connection the application closed while idle).
func inboundRouteAction(cluster string, grpc bool) *routev3.RouteAction {
	a := &routev3.RouteAction{
		ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster},
		Timeout:          build.NoTimeout(),
		MaxStreamDuration: &routev3.RouteAction_MaxStreamDuration{
			MaxStreamDuration:    build.NoTimeout(),
			GrpcTimeoutHeaderMax: build.NoTimeout(),
		},
	}
	if !grpc {
		a.RetryPolicy = &routev3.RetryPolicy{RetryOn: "reset-before-request", NumRetries: wrapperspb.UInt32(2)}
	}
	return a
}

// passthroughRouteAction is the allow_any route's: unknown destinations
// get no route timeout and gRPC's own deadline, as in Istio.
func passthroughRouteAction(cluster string) *routev3.RouteAction {
	return &routev3.RouteAction{
		ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster},
		Timeout:          build.NoTimeout(),
		MaxGrpcTimeout:   build.NoTimeout(), //lint:ignore SA1019 Istio's sidecars use it; see build.setGRPCTimeout
	}
}

// inboundCluster forwards to the application at the address the client
// dialled (the pod IP), as Istio's default inbound traffic policy
// (PASSTHROUGH) does: applications bound to the pod IP are reachable and
// ports bound only to localhost are not exposed. The source address is
// 127.0.0.6 so iptables does not capture the connection again.
func inboundCluster(name string) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST},
		LbPolicy:             clusterv3.Cluster_CLUSTER_PROVIDED,
		ConnectTimeout:       durationpb.New(defaultConnectTimeout),
		CleanupInterval:      &durationpb.Duration{Seconds: neverCleanup},
		CircuitBreakers:      build.UnlimitedCircuitBreakers(),
		UpstreamBindConfig:   passthroughBind(),
		CommonLbConfig:       &clusterv3.Cluster_CommonLbConfig{},
	}
}

func passthroughBind() *corev3.BindConfig {
	return &corev3.BindConfig{SourceAddress: &corev3.SocketAddress{
		Address: InboundPassthroughBindIP, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 0}}}
}
