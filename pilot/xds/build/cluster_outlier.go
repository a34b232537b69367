package build

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// outlier converts outlier detection as istiod does: success-rate
// ejection is always off (Envoy and grpc-go enforce it by default), and
// each consecutive-error detector is enforced exactly when its count is
// above zero, so an explicit 0 turns that detector off.
func outlier(od *mesh.OutlierDetection) *clusterv3.OutlierDetection {
	out := &clusterv3.OutlierDetection{
		EnforcingSuccessRate: wrapperspb.UInt32(0),
		MaxEjectionPercent:   optU32(od.MaxEjectionPercent),
	}
	out.Consecutive_5Xx, out.EnforcingConsecutive_5Xx = consecutive(od.Consecutive5xx)
	out.ConsecutiveGatewayFailure, out.EnforcingConsecutiveGatewayFailure = consecutive(od.ConsecutiveGateway)
	if od.Interval > 0 {
		out.Interval = durationpb.New(od.Interval)
	}
	if od.BaseEjectionTime > 0 {
		out.BaseEjectionTime = durationpb.New(od.BaseEjectionTime)
	}
	setLocalOrigin(out, od)
	if od.FailurePercentage != nil {
		// Envoy's failure-percentage detector is off unless enforced.
		out.FailurePercentageThreshold = wrapperspb.UInt32(*od.FailurePercentage)
		out.EnforcingFailurePercentage = wrapperspb.UInt32(100)
	}
	return out
}

// consecutive is a detector's threshold and enforcement: 100% when the
// threshold is positive, 0% (off) when it is an explicit 0, Envoy's
// defaults (5 errors, enforced) when unset.
func consecutive(n *uint32) (threshold, enforcing *wrapperspb.UInt32Value) {
	if n == nil {
		return nil, nil
	}
	if *n == 0 {
		return wrapperspb.UInt32(0), wrapperspb.UInt32(0)
	}
	return wrapperspb.UInt32(*n), wrapperspb.UInt32(100)
}

// setLocalOrigin splits local-origin failures out; their success-rate
// detector stays off like the external one.
func setLocalOrigin(out *clusterv3.OutlierDetection, od *mesh.OutlierDetection) {
	if !od.SplitExternalLocalErr {
		return
	}
	out.SplitExternalLocalOriginErrors = true
	out.EnforcingLocalOriginSuccessRate = wrapperspb.UInt32(0)
	if od.ConsecutiveLocalOrigin > 0 {
		out.ConsecutiveLocalOriginFailure = wrapperspb.UInt32(od.ConsecutiveLocalOrigin)
		out.EnforcingConsecutiveLocalOriginFailure = wrapperspb.UInt32(100)
	}
}
