package translate

import (
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/pipeline"
)

// egressProxy names its cluster as istiod does (the host as written), and
// a host the registry lacks or the egress hosts do not import is warned:
// the proxy would have no such cluster.
func TestSidecarEgressProxy(t *testing.T) {
	for _, tt := range []struct {
		host, hosts, warn string
	}{
		{"svc-0.ns-0.svc.cluster.local", "ns-0/*", ""},
		{"svc-0.ns-0.svc.cluster.local", "ns-1/*", "not imported"},
		{"egress.example.com", "*/*", "no service"},
	} {
		snap := pipeline.Synthetic(pipeline.SyntheticOptions{Services: 2, PodsPerService: 1, Namespaces: 2})
		sc := sidecar("ns-1", "default", 0, nil, tt.hosts)
		sc.Spec.OutboundTrafficPolicy = &networking.OutboundTrafficPolicy{Mode: networking.OutboundTrafficPolicy_ALLOW_ANY,
			EgressProxy: &networking.Destination{Host: tt.host, Subset: "v1", Port: &networking.PortSelector{Number: 443}}}
		snap.Sidecars = []*networkingv1.Sidecar{sc}
		m := Translate(snap, "test")
		if got := m.ScopeFor("ns-1", nil).EgressProxy; got == nil || got.String() != "outbound|443|v1|"+tt.host {
			t.Errorf("%s: egress proxy cluster %v", tt.host, got)
		}
		warned := hasDiagnostic(m, "Sidecar ns-1/default: spec.outboundTrafficPolicy.egressProxy.host")
		if warned != (tt.warn != "") {
			t.Errorf("%s imported by %s: warned %v, want %q", tt.host, tt.hosts, warned, tt.warn)
		}
	}
}
