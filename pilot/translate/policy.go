package translate

//lint:file-ignore SA1019 Istio still honours its deprecated fields (fault.delay.percent, mirrorPercent, LEAST_CONN, minimumRingSize), and so must weft.

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// policyFor converts a traffic policy for one port. The first
// portLevelSettings entry for the port replaces the whole policy: per
// Istio's docs, sections it omits take their defaults rather than the
// rule-level ones. hasPortLevel reports such an entry.
func policyFor(tp *networking.TrafficPolicy, port uint32) (p mesh.TrafficPolicy, hasPortLevel bool) {
	for _, pl := range tp.GetPortLevelSettings() {
		if pl.GetPort() != nil && pl.GetPort().GetNumber() == port {
			return sections(pl.GetLoadBalancer(), pl.GetConnectionPool(), pl.GetOutlierDetection(), pl.GetTls()), true
		}
	}
	if tp == nil {
		return mesh.TrafficPolicy{}, false
	}
	return sections(tp.GetLoadBalancer(), tp.GetConnectionPool(), tp.GetOutlierDetection(), tp.GetTls()), false
}

func sections(lb *networking.LoadBalancerSettings, cp *networking.ConnectionPoolSettings,
	od *networking.OutlierDetection, tls *networking.ClientTLSSettings) mesh.TrafficPolicy {
	return mesh.TrafficPolicy{
		LoadBalancer:     loadBalancer(lb),
		ConnectionPool:   connectionPool(cp),
		OutlierDetection: outlierDetection(od),
		TLS:              clusterTLS(tls),
		LocalityLB:       localityLB(lb.GetLocalityLbSetting()),
	}
}

// loadBalancer converts the lb_policy oneof; UNSPECIFIED (or neither
// simple nor consistentHash) leaves the generator's default (LEAST_REQUEST
// for sidecars, as Istio).
func loadBalancer(lb *networking.LoadBalancerSettings) *mesh.LoadBalancer {
	if lb == nil {
		return nil
	}
	if ch := lb.GetConsistentHash(); ch != nil {
		return &mesh.LoadBalancer{Kind: hashKind(ch), Hash: hashKey(ch)}
	}
	switch lb.GetSimple() {
	case networking.LoadBalancerSettings_LEAST_REQUEST, networking.LoadBalancerSettings_LEAST_CONN:
		return &mesh.LoadBalancer{Kind: mesh.LBLeastRequest}
	case networking.LoadBalancerSettings_RANDOM:
		return &mesh.LoadBalancer{Kind: mesh.LBRandom}
	case networking.LoadBalancerSettings_PASSTHROUGH:
		return &mesh.LoadBalancer{Kind: mesh.LBPassthrough}
	case networking.LoadBalancerSettings_UNSPECIFIED:
		return nil
	}
	return &mesh.LoadBalancer{Kind: mesh.LBRoundRobin}
}

func hashKind(ch *networking.LoadBalancerSettings_ConsistentHashLB) mesh.LBKind {
	if ch.GetMaglev() != nil {
		return mesh.LBMaglev
	}
	return mesh.LBRingHash
}

func hashKey(ch *networking.LoadBalancerSettings_ConsistentHashLB) *mesh.HashKey {
	h := &mesh.HashKey{Header: ch.GetHttpHeaderName(), SourceIP: ch.GetUseSourceIp(),
		QueryParam: ch.GetHttpQueryParameterName(), MinRingSize: ch.GetMinimumRingSize()}
	if n := ch.GetRingHash().GetMinimumRingSize(); n > 0 {
		h.MinRingSize = n
	}
	if c := ch.GetHttpCookie(); c != nil {
		h.Cookie, h.CookiePath, h.CookieTTL = c.GetName(), c.GetPath(), dur(c.GetTtl())
	}
	return h
}

func connectionPool(cp *networking.ConnectionPoolSettings) *mesh.ConnectionPool {
	if cp == nil {
		return nil
	}
	out := &mesh.ConnectionPool{}
	if t := cp.GetTcp(); t != nil {
		out.MaxConnections = nonNeg(t.GetMaxConnections())
		out.ConnectTimeout = dur(t.GetConnectTimeout())
		out.TCPKeepalive = tcpKeepalive(t.GetTcpKeepalive())
		out.MaxConnectionDuration = dur(t.GetMaxConnectionDuration())
		out.TCPIdleTimeout = optDur(t.GetIdleTimeout())
	}
	if h := cp.GetHttp(); h != nil {
		out.MaxPendingRequests = nonNeg(h.GetHttp1MaxPendingRequests())
		out.MaxRequests = nonNeg(h.GetHttp2MaxRequests())
		out.MaxRequestsPerConnection = nonNeg(h.GetMaxRequestsPerConnection())
		out.MaxRetries = nonNeg(h.GetMaxRetries())
		out.IdleTimeout = dur(h.GetIdleTimeout())
		// istiod never upgrades a cluster that uses the client's protocol.
		out.H2Upgrade = h.GetH2UpgradePolicy() == networking.ConnectionPoolSettings_HTTPSettings_UPGRADE && !h.GetUseClientProtocol()
		out.UseClientProtocol = h.GetUseClientProtocol()
		out.MaxConcurrentStreams = nonNeg(h.GetMaxConcurrentStreams())
		out.H2KeepAlive = h2KeepAlive(h.GetHttp2KeepAlive())
	}
	return out
}

func tcpKeepalive(k *networking.ConnectionPoolSettings_TCPSettings_TcpKeepalive) *mesh.TCPKeepalive {
	if k == nil {
		return nil
	}
	return &mesh.TCPKeepalive{Probes: k.GetProbes(), Time: dur(k.GetTime()), Interval: dur(k.GetInterval())}
}

func outlierDetection(od *networking.OutlierDetection) *mesh.OutlierDetection {
	if od == nil {
		return nil
	}
	out := &mesh.OutlierDetection{
		Consecutive5xx:        uint32Ptr(od.GetConsecutive_5XxErrors()),
		ConsecutiveGateway:    uint32Ptr(od.GetConsecutiveGatewayErrors()),
		Interval:              dur(od.GetInterval()),
		BaseEjectionTime:      dur(od.GetBaseEjectionTime()),
		MaxEjectionPercent:    nonNeg(od.GetMaxEjectionPercent()),
		MinHealthPercent:      nonNeg(od.GetMinHealthPercent()),
		SplitExternalLocalErr: od.GetSplitExternalLocalOriginErrors(),
	}
	out.FailurePercentage = uint32Ptr(od.GetFailurePercentageThreshold())
	if out.SplitExternalLocalErr {
		out.ConsecutiveLocalOrigin = od.GetConsecutiveLocalOriginFailures().GetValue()
	}
	return out
}

// uint32Ptr keeps a wrapper's "unset" (nil) apart from an explicit 0,
// which for outlier counters means "disabled".
func uint32Ptr(w *wrapperspb.UInt32Value) *uint32 {
	if w == nil {
		return nil
	}
	v := w.GetValue()
	return &v
}

// dur reads a duration validation has already checked; an invalid or
// negative one means unset.
func dur(d *durationpb.Duration) time.Duration {
	if d == nil || d.CheckValid() != nil || d.AsDuration() < 0 {
		return 0
	}
	return d.AsDuration()
}

func nonNeg(v int32) uint32 {
	if v < 0 {
		return 0
	}
	return uint32(v)
}

func fieldIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
