package translate

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// h2KeepAlive converts http2KeepAlive; validation requires both fields.
func h2KeepAlive(k *networking.ConnectionPoolSettings_HTTPSettings_ConnectionKeepalive) *mesh.H2KeepAlive {
	if k == nil {
		return nil
	}
	return &mesh.H2KeepAlive{Interval: dur(k.GetInterval()), Timeout: dur(k.GetTimeout())}
}

// optDur keeps an explicit 0s apart from unset: for tcp.idleTimeout, 0s
// turns the timeout off while unset leaves Envoy's hour.
func optDur(d *durationpb.Duration) *time.Duration {
	if d == nil || d.CheckValid() != nil || d.AsDuration() < 0 {
		return nil
	}
	v := d.AsDuration()
	return &v
}

// tcpProxyLimits are the rule-level tcp settings istiod puts on TCP
// proxies (listener state, so neither port-level nor subset settings
// reach them); nil when the rule sets neither.
func tcpProxyLimits(tp *networking.TrafficPolicy) *mesh.TCPProxyLimits {
	t := tp.GetConnectionPool().GetTcp()
	idle, mcd := optDur(t.GetIdleTimeout()), dur(t.GetMaxConnectionDuration())
	if idle == nil && mcd == 0 {
		return nil
	}
	return &mesh.TCPProxyLimits{IdleTimeout: idle, MaxConnectionDuration: mcd}
}
