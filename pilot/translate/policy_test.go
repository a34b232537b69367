package translate

import (
	"testing"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// DISABLE is the zero value of Istio's TLS mode, so a tls block without a
// mode (say, only sni) turns TLS off, as in Istio; no tls block leaves
// automatic mTLS.
func TestClusterTLSModeDefaultsToDisable(t *testing.T) {
	if got := clusterTLS(nil); got != nil {
		t.Errorf("no tls: %+v, want nil (automatic mTLS)", got)
	}
	if got := clusterTLS(&networking.ClientTLSSettings{Sni: "x.example.com"}); got == nil || got.Mode != mesh.TLSDisable {
		t.Errorf("tls without mode: %+v, want DISABLE", got)
	}
}

// Istio's TrafficPolicy docs: port-level settings override the
// destination-level ones, and fields they omit take defaults rather than
// being inherited; istiod applies the same to a subset's port-level entry.
func TestSubsetPortLevelSettingsReplaceEverySection(t *testing.T) {
	rule := &networking.TrafficPolicy{
		LoadBalancer:     &networking.LoadBalancerSettings{LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: networking.LoadBalancerSettings_RANDOM}},
		OutlierDetection: &networking.OutlierDetection{Interval: nil, MaxEjectionPercent: 20},
	}
	subset := &networking.TrafficPolicy{PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{
		Port:           &networking.PortSelector{Number: 9090},
		ConnectionPool: &networking.ConnectionPoolSettings{Http: &networking.ConnectionPoolSettings_HTTPSettings{Http2MaxRequests: 10}},
	}}}
	base, _ := policyFor(rule, 9090)
	got := subsetPolicy(base, subset, 9090)
	if got.LoadBalancer != nil || got.OutlierDetection != nil || got.ConnectionPool == nil || got.ConnectionPool.MaxRequests != 10 {
		t.Errorf("port 9090: %+v, want only the subset's port-level connection pool", got)
	}
	if got := subsetPolicy(base, subset, 8080); got.LoadBalancer == nil || got.OutlierDetection == nil {
		t.Errorf("port 8080: %+v, want the rule's policy", got)
	}
}
