package translate

import (
	"strconv"
	"time"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
	"github.com/weftmesh/weft/pilot/mesh"
)

// policyFor converts a traffic policy for one port: a matching
// portLevelSettings entry replaces each section it sets.
func policyFor(tp *networkingv1.TrafficPolicy, port uint32) mesh.TrafficPolicy {
	if tp == nil {
		return mesh.TrafficPolicy{}
	}
	out := mesh.TrafficPolicy{
		LoadBalancer:     loadBalancer(tp.LoadBalancer),
		ConnectionPool:   connectionPool(tp.ConnectionPool),
		OutlierDetection: outlierDetection(tp.OutlierDetection),
		TLS:              clusterTLS(tp.TLS),
	}
	for _, pl := range tp.PortLevelSettings {
		if pl.Port == nil || pl.Port.Number != port {
			continue
		}
		out = overlay(out, mesh.TrafficPolicy{
			LoadBalancer:     loadBalancer(pl.LoadBalancer),
			ConnectionPool:   connectionPool(pl.ConnectionPool),
			OutlierDetection: outlierDetection(pl.OutlierDetection),
			TLS:              clusterTLS(pl.TLS),
		})
	}
	return out
}

func loadBalancer(lb *networkingv1.LoadBalancerSettings) *mesh.LoadBalancer {
	if lb == nil {
		return nil
	}
	if ch := lb.ConsistentHash; ch != nil {
		return &mesh.LoadBalancer{Kind: hashKind(ch), Hash: hashKey(ch)}
	}
	switch lb.Simple {
	case "LEAST_REQUEST", "LEAST_CONN":
		return &mesh.LoadBalancer{Kind: mesh.LBLeastRequest}
	case "RANDOM":
		return &mesh.LoadBalancer{Kind: mesh.LBRandom}
	case "PASSTHROUGH":
		return &mesh.LoadBalancer{Kind: mesh.LBPassthrough}
	case "":
		return nil
	}
	return &mesh.LoadBalancer{Kind: mesh.LBRoundRobin}
}

func hashKind(ch *networkingv1.ConsistentHashLB) mesh.LBKind {
	if ch.Maglev != nil {
		return mesh.LBMaglev
	}
	return mesh.LBRingHash
}

func hashKey(ch *networkingv1.ConsistentHashLB) *mesh.HashKey {
	h := &mesh.HashKey{Header: ch.HTTPHeaderName, SourceIP: ch.UseSourceIP, QueryParam: ch.HTTPQueryParameterName, MinRingSize: ch.MinimumRingSize}
	if ch.RingHash != nil && ch.RingHash.MinimumRingSize > 0 {
		h.MinRingSize = ch.RingHash.MinimumRingSize
	}
	if c := ch.HTTPCookie; c != nil {
		h.Cookie, h.CookiePath, h.CookieTTL = c.Name, c.Path, dur(c.TTL)
	}
	return h
}

func connectionPool(cp *networkingv1.ConnectionPoolSettings) *mesh.ConnectionPool {
	if cp == nil {
		return nil
	}
	out := &mesh.ConnectionPool{}
	if t := cp.TCP; t != nil {
		out.MaxConnections = nonNeg(t.MaxConnections)
		out.ConnectTimeout = dur(t.ConnectTimeout)
	}
	if h := cp.HTTP; h != nil {
		out.MaxPendingRequests = nonNeg(h.HTTP1MaxPendingRequests)
		out.MaxRequests = nonNeg(h.HTTP2MaxRequests)
		out.MaxRequestsPerConnection = nonNeg(h.MaxRequestsPerConnection)
		out.MaxRetries = nonNeg(h.MaxRetries)
		out.IdleTimeout = dur(h.IdleTimeout)
	}
	return out
}

func outlierDetection(od *networkingv1.OutlierDetection) *mesh.OutlierDetection {
	if od == nil {
		return nil
	}
	out := &mesh.OutlierDetection{
		Consecutive5xx:        od.Consecutive5xxErrors,
		ConsecutiveGateway:    od.ConsecutiveGatewayErrors,
		Interval:              dur(od.Interval),
		BaseEjectionTime:      dur(od.BaseEjectionTime),
		MaxEjectionPercent:    nonNeg(od.MaxEjectionPercent),
		MinHealthPercent:      nonNeg(od.MinHealthPercent),
		SplitExternalLocalErr: od.SplitExternalLocalOriginErrors,
	}
	if out.Consecutive5xx == nil && od.ConsecutiveErrors > 0 {
		n := uint32(od.ConsecutiveErrors) // deprecated alias Istio still honours
		out.Consecutive5xx = &n
	}
	return out
}

// dur reads a duration validation has already checked; invalid means unset.
func dur(d *networkingv1.Duration) time.Duration {
	if d == nil {
		return 0
	}
	v, err := d.Parse()
	if err != nil {
		return 0
	}
	return v
}

func nonNeg(v int32) uint32 {
	if v < 0 {
		return 0
	}
	return uint32(v)
}

func fieldIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// clusterTLS converts the modes weft acts on; SIMPLE and MUTUAL with
// user-provided files are reported unsupported and fall back to automatic.
func clusterTLS(t *networkingv1.ClientTLSSettings) *mesh.ClusterTLS {
	if t == nil {
		return nil
	}
	switch t.Mode {
	case "DISABLE":
		return &mesh.ClusterTLS{Mode: mesh.TLSDisable}
	case "ISTIO_MUTUAL":
		return &mesh.ClusterTLS{Mode: mesh.TLSIstioMutual, SANs: t.SubjectAltNames}
	}
	return nil
}
