package build

import (
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"

	"github.com/weftmesh/weft/pilot/mesh"
)

func protocolOptions(t *testing.T, proto mesh.Protocol, cp *mesh.ConnectionPool) *httpv3.HttpProtocolOptions {
	t.Helper()
	c := &mesh.Cluster{Port: mesh.Port{Number: 80, Protocol: proto}, Policy: mesh.TrafficPolicy{ConnectionPool: cp}}
	out := &clusterv3.Cluster{}
	setHTTPProtocolOptions(out, c)
	a := out.GetTypedExtensionProtocolOptions()[HTTPProtocolOptionsKey]
	if a == nil {
		return nil
	}
	o := &httpv3.HttpProtocolOptions{}
	if err := a.UnmarshalTo(o); err != nil {
		t.Fatal(err)
	}
	return o
}

// istiod sets maxConcurrentStreams and http2KeepAlive only on clusters
// that speak HTTP/2, writes nothing for a plain HTTP/1 port, and lets
// useClientProtocol replace the HTTP/2 settings with empty ones.
func TestHTTPProtocolOptionsAsIstiod(t *testing.T) {
	h2 := &mesh.ConnectionPool{MaxConcurrentStreams: 9, H2KeepAlive: &mesh.H2KeepAlive{Interval: time.Second, Timeout: time.Second}}
	zero := time.Duration(0)
	tests := []struct {
		name  string
		proto mesh.Protocol
		cp    *mesh.ConnectionPool
		check func(o *httpv3.HttpProtocolOptions) bool
	}{
		{"http/1 port, no pool: no options", mesh.ProtocolHTTP, nil, func(o *httpv3.HttpProtocolOptions) bool { return o == nil }},
		{"grpc port, no pool: bare HTTP/2", mesh.ProtocolGRPC, nil, func(o *httpv3.HttpProtocolOptions) bool {
			return o.GetCommonHttpProtocolOptions() == nil && o.GetExplicitHttpConfig().GetHttp2ProtocolOptions() != nil
		}},
		{"http/1 port: stream limit kept off, HTTP/1.1 explicit", mesh.ProtocolHTTP, h2, func(o *httpv3.HttpProtocolOptions) bool {
			return o.GetExplicitHttpConfig().GetHttpProtocolOptions() != nil
		}},
		{"grpc port: stream limit and pings", mesh.ProtocolGRPC, h2, func(o *httpv3.HttpProtocolOptions) bool {
			p := o.GetExplicitHttpConfig().GetHttp2ProtocolOptions()
			return p.GetMaxConcurrentStreams().GetValue() == 9 && p.GetConnectionKeepalive().GetInterval().AsDuration() == time.Second
		}},
		{"useClientProtocol drops HTTP/2 settings", mesh.ProtocolGRPC, &mesh.ConnectionPool{MaxConcurrentStreams: 9, UseClientProtocol: true},
			func(o *httpv3.HttpProtocolOptions) bool {
				d := o.GetUseDownstreamProtocolConfig()
				return d.GetHttp2ProtocolOptions() != nil && d.GetHttp2ProtocolOptions().GetMaxConcurrentStreams() == nil
			}},
		{"tcp idle 0s disables the HTTP idle timeout", mesh.ProtocolHTTP, &mesh.ConnectionPool{TCPIdleTimeout: &zero},
			func(o *httpv3.HttpProtocolOptions) bool {
				it := o.GetCommonHttpProtocolOptions().GetIdleTimeout()
				return it != nil && it.AsDuration() == 0
			}},
		{"http idle timeout wins over tcp's", mesh.ProtocolHTTP, &mesh.ConnectionPool{IdleTimeout: time.Minute, TCPIdleTimeout: &zero},
			func(o *httpv3.HttpProtocolOptions) bool {
				return o.GetCommonHttpProtocolOptions().GetIdleTimeout().AsDuration() == time.Minute
			}},
	}
	for _, tt := range tests {
		if o := protocolOptions(t, tt.proto, tt.cp); !tt.check(o) {
			t.Errorf("%s: got %v", tt.name, o)
		}
	}
}

// istiod enforces a consecutive-error detector exactly when its count is
// positive, so an explicit 0 turns it off; success-rate ejection is off.
func TestOutlierEnforcementAsIstiod(t *testing.T) {
	zero, seven, forty := uint32(0), uint32(7), uint32(40)
	od := outlier(&mesh.OutlierDetection{Consecutive5xx: &zero, ConsecutiveGateway: &seven, FailurePercentage: &forty})
	if od.GetConsecutive_5Xx().GetValue() != 0 || od.GetEnforcingConsecutive_5Xx() == nil || od.GetEnforcingConsecutive_5Xx().GetValue() != 0 {
		t.Errorf("5xx: %v / %v, want 0 enforced 0%%", od.GetConsecutive_5Xx(), od.GetEnforcingConsecutive_5Xx())
	}
	if od.GetConsecutiveGatewayFailure().GetValue() != 7 || od.GetEnforcingConsecutiveGatewayFailure().GetValue() != 100 {
		t.Errorf("gateway: %v / %v, want 7 enforced 100%%", od.GetConsecutiveGatewayFailure(), od.GetEnforcingConsecutiveGatewayFailure())
	}
	if od.GetEnforcingSuccessRate() == nil || od.GetEnforcingSuccessRate().GetValue() != 0 {
		t.Errorf("success rate enforcing %v, want 0", od.GetEnforcingSuccessRate())
	}
	if od.GetFailurePercentageThreshold().GetValue() != 40 || od.GetEnforcingFailurePercentage().GetValue() != 100 {
		t.Errorf("failure percentage %v / %v, want 40 enforced 100%%", od.GetFailurePercentageThreshold(), od.GetEnforcingFailurePercentage())
	}
	if unset := outlier(&mesh.OutlierDetection{}); unset.GetConsecutive_5Xx() != nil || unset.GetEnforcingConsecutive_5Xx() != nil {
		t.Errorf("unset 5xx: %v, want Envoy's default", unset)
	}
}
