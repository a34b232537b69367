package simulate

import (
	"math"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Upstream protocols, as Upstream.Protocol reports them.
const (
	ProtocolHTTP1  = "HTTP/1.1"
	ProtocolHTTP2  = "HTTP/2"
	ProtocolClient = "client's" // use_downstream_protocol_config: the request's own version
)

// Envoy's defaults for upstream connections and outlier detection.
const (
	upstreamIdleTimeoutDefault = time.Hour
	h2MaxConcurrentStreams     = math.MaxInt32
	outlierConsecutiveDefault  = 5
	outlierFailurePctDefault   = 85
	outlierIntervalDefault     = 10 * time.Second
	outlierEjectionDefault     = 30 * time.Second
	outlierMaxEjectionDefault  = 10
)

// ConnectionLimits are a cluster's per-connection HTTP settings with
// Envoy's defaults filled in: durations as Go durations, "disabled" for
// an explicit 0 and "none" for no limit.
type ConnectionLimits struct {
	IdleTimeout              string `json:"idleTimeout,omitempty"`
	MaxConnectionDuration    string `json:"maxConnectionDuration,omitempty"`
	MaxRequestsPerConnection uint32 `json:"maxRequestsPerConnection,omitempty"` // 0: unlimited
	// MaxConcurrentStreams and the PING keepalive apply to HTTP/2 only.
	MaxConcurrentStreams uint32 `json:"maxConcurrentStreams,omitempty"`
	H2KeepAliveInterval  string `json:"h2KeepAliveInterval,omitempty"`
	H2KeepAliveTimeout   string `json:"h2KeepAliveTimeout,omitempty"`
}

// TCPLimits are a TCP proxy's connection limits, as ConnectionLimits.
type TCPLimits struct {
	IdleTimeout           string `json:"idleTimeout,omitempty"`
	MaxConnectionDuration string `json:"maxConnectionDuration,omitempty"`
}

// Outlier is what ejects a host, with Envoy's defaults filled in: each
// consecutive-error count is 0 when that detector is not enforced.
type Outlier struct {
	Consecutive5xx         uint32 `json:"consecutive5xx"`
	ConsecutiveGateway     uint32 `json:"consecutiveGateway"`
	ConsecutiveLocalOrigin uint32 `json:"consecutiveLocalOrigin"` // only with SplitLocalOrigin
	SplitLocalOrigin       bool   `json:"splitLocalOrigin"`
	SuccessRate            bool   `json:"successRate"`       // success-rate ejection enforced
	FailurePercentage      uint32 `json:"failurePercentage"` // threshold; 0 when not enforced
	Interval               string `json:"interval"`
	BaseEjectionTime       string `json:"baseEjectionTime"`
	MaxEjectionPercent     uint32 `json:"maxEjectionPercent"`
}

// setConnection reads the upstream HTTP protocol options: which HTTP
// version the proxy speaks upstream and the per-connection limits.
func setConnection(cl *clusterv3.Cluster, up *Upstream) error {
	o := &httpv3.HttpProtocolOptions{}
	for key, cfg := range cl.GetTypedExtensionProtocolOptions() {
		if key != "envoy.extensions.upstreams.http.v3.HttpProtocolOptions" {
			return cannot("cluster %s typed_extension_protocol_options %s", cl.GetName(), key)
		}
		if err := cfg.UnmarshalTo(o); err != nil {
			return cannot("cluster %s HttpProtocolOptions: %v", cl.GetName(), err)
		}
	}
	if o.GetAutoConfig() != nil {
		return cannot("cluster %s HttpProtocolOptions auto_config", cl.GetName())
	}
	up.Protocol = ProtocolHTTP1
	var h2 *corev3.Http2ProtocolOptions
	switch {
	case o.GetUseDownstreamProtocolConfig() != nil:
		up.Protocol = ProtocolClient
	case o.GetExplicitHttpConfig().GetHttp2ProtocolOptions() != nil:
		up.Protocol, h2 = ProtocolHTTP2, o.GetExplicitHttpConfig().GetHttp2ProtocolOptions()
	}
	up.Connection = connectionLimits(o.GetCommonHttpProtocolOptions(), h2)
	return nil
}

func connectionLimits(c *corev3.HttpProtocolOptions, h2 *corev3.Http2ProtocolOptions) *ConnectionLimits {
	l := &ConnectionLimits{
		IdleTimeout:              timeoutOr(c.GetIdleTimeout(), upstreamIdleTimeoutDefault),
		MaxConnectionDuration:    timeoutOr(c.GetMaxConnectionDuration(), 0),
		MaxRequestsPerConnection: c.GetMaxRequestsPerConnection().GetValue(),
	}
	if h2 != nil {
		l.MaxConcurrentStreams = u32Or(h2.GetMaxConcurrentStreams(), h2MaxConcurrentStreams)
		if k := h2.GetConnectionKeepalive(); k != nil {
			l.H2KeepAliveInterval = timeoutOr(k.GetInterval(), 0)
			l.H2KeepAliveTimeout = timeoutOr(k.GetTimeout(), 0)
		}
	}
	return l
}

// outlierOf resolves which detectors Envoy enforces: a detector with
// enforcement 0 never ejects, whatever its threshold.
func outlierOf(od *clusterv3.OutlierDetection) *Outlier {
	if od == nil {
		return nil
	}
	o := &Outlier{
		Consecutive5xx:     enforced(od.GetConsecutive_5Xx(), od.GetEnforcingConsecutive_5Xx(), 100),
		ConsecutiveGateway: enforced(od.GetConsecutiveGatewayFailure(), od.GetEnforcingConsecutiveGatewayFailure(), 0),
		SplitLocalOrigin:   od.GetSplitExternalLocalOriginErrors(),
		SuccessRate:        u32Or(od.GetEnforcingSuccessRate(), 100) > 0,
		FailurePercentage:  enforcedPct(od.GetFailurePercentageThreshold(), od.GetEnforcingFailurePercentage()),
		Interval:           timeoutOr(od.GetInterval(), outlierIntervalDefault),
		BaseEjectionTime:   timeoutOr(od.GetBaseEjectionTime(), outlierEjectionDefault),
		MaxEjectionPercent: u32Or(od.GetMaxEjectionPercent(), outlierMaxEjectionDefault),
	}
	if o.SplitLocalOrigin {
		o.ConsecutiveLocalOrigin = enforced(od.GetConsecutiveLocalOriginFailure(), od.GetEnforcingConsecutiveLocalOriginFailure(), 100)
	}
	return o
}

// enforced is a consecutive-error threshold (Envoy's 5 when unset), or 0
// when its enforcement percentage (defaultEnforcing when unset) is 0.
func enforced(threshold, enforcing *wrapperspb.UInt32Value, defaultEnforcing uint32) uint32 {
	if u32Or(enforcing, defaultEnforcing) == 0 {
		return 0
	}
	return u32Or(threshold, outlierConsecutiveDefault)
}

// enforcedPct: Envoy's failure-percentage detector is off unless its
// enforcement is set above 0.
func enforcedPct(threshold, enforcing *wrapperspb.UInt32Value) uint32 {
	if enforcing.GetValue() == 0 {
		return 0
	}
	return u32Or(threshold, outlierFailurePctDefault)
}

func u32Or(v *wrapperspb.UInt32Value, def uint32) uint32 {
	if v == nil {
		return def
	}
	return v.GetValue()
}

// timeoutOr renders a timeout: def when unset ("none" for no default),
// "disabled" for an explicit 0.
func timeoutOr(d *durationpb.Duration, def time.Duration) string {
	switch {
	case d == nil && def == 0:
		return "none"
	case d == nil:
		return def.String()
	case d.AsDuration() == 0:
		return "disabled"
	}
	return d.AsDuration().String()
}
