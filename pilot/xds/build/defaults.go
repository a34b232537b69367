package build

import (
	"math"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// unlimited is Istio's documented default for every ConnectionPoolSettings
// threshold ("Default 2^32-1").
const unlimited = math.MaxUint32

// UnlimitedThresholds are the circuit-breaker thresholds an Envoy sidecar
// gets where the DestinationRule leaves a limit unset. Envoy's own
// defaults (1024 connections, pending and requests, 3 retries) would trip
// far earlier than Istio users expect: the 4th concurrent retry would fail.
func UnlimitedThresholds() *clusterv3.CircuitBreakers_Thresholds {
	return &clusterv3.CircuitBreakers_Thresholds{
		MaxConnections:     wrapperspb.UInt32(unlimited),
		MaxPendingRequests: wrapperspb.UInt32(unlimited),
		MaxRequests:        wrapperspb.UInt32(unlimited),
		MaxRetries:         wrapperspb.UInt32(unlimited),
	}
}

// UnlimitedCircuitBreakers wraps UnlimitedThresholds for a cluster.
func UnlimitedCircuitBreakers() *clusterv3.CircuitBreakers {
	return &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{UnlimitedThresholds()}}
}

// sidecarThresholds overlays the limits a connection pool sets on the
// unlimited defaults; a zero in the IR is "unset", as in Istio's API.
func sidecarThresholds(cp *mesh.ConnectionPool) *clusterv3.CircuitBreakers_Thresholds {
	t := UnlimitedThresholds()
	if cp == nil {
		return t
	}
	for _, f := range []struct {
		v   uint32
		dst **wrapperspb.UInt32Value
	}{
		{cp.MaxConnections, &t.MaxConnections}, {cp.MaxPendingRequests, &t.MaxPendingRequests},
		{cp.MaxRequests, &t.MaxRequests}, {cp.MaxRetries, &t.MaxRetries},
	} {
		if f.v > 0 {
			*f.dst = wrapperspb.UInt32(f.v)
		}
	}
	return t
}

// setPanicThreshold turns Envoy's panic mode off (threshold 0, Envoy's is
// 50%) as istiod does on every sidecar cluster it balances: EDS carries
// unready endpoints too, and in panic mode Envoy would send to them once
// half the hosts are unready. With outlier detection the threshold is
// minHealthPercent, 0 when unset, so ejected hosts stay ejected.
func setPanicThreshold(out *clusterv3.Cluster, od *mesh.OutlierDetection) {
	if out.LbPolicy == clusterv3.Cluster_CLUSTER_PROVIDED {
		return
	}
	pct := uint32(0)
	if od != nil {
		pct = od.MinHealthPercent
	}
	out.CommonLbConfig = &clusterv3.Cluster_CommonLbConfig{HealthyPanicThreshold: &typev3.Percent{Value: float64(pct)}}
}

// NoTimeout is Envoy's "disabled" for route and stream timeouts.
func NoTimeout() *durationpb.Duration { return durationpb.New(0) }

// setGRPCTimeout makes an Envoy sidecar honour the client's grpc-timeout
// header, capped by the route's timeout (0: no cap), as Istio's sidecars
// do; without it Envoy applies the route timeout to gRPC like any request.
// Istio uses the deprecated max_grpc_timeout because its replacement
// (max_stream_duration.grpc_timeout_header_max) bounds the stream rather
// than the route timeout.
func setGRPCTimeout(a *routev3.RouteAction, timeout time.Duration) {
	a.MaxGrpcTimeout = durationpb.New(timeout) //lint:ignore SA1019 see above
}
