package translate

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/pipeline"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func vs(name string, age int, hosts []string, subset string, gateways ...string) *networkingv1.VirtualService {
	return &networkingv1.VirtualService{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns-0", CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(-age) * time.Hour))},
		Spec: networking.VirtualService{Hosts: hosts, Gateways: gateways, Http: []*networking.HTTPRoute{{
			Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: "svc-0", Subset: subset}}},
		}}},
	}
}

// mesh builds a one-service mesh (svc-0 in ns-0, subsets v1/v2) with the
// given VirtualServices instead of the synthetic one.
func meshWith(t *testing.T, vss ...*networkingv1.VirtualService) *mesh.Mesh {
	t.Helper()
	snap := pipeline.Synthetic(pipeline.SyntheticOptions{Services: 1, PodsPerService: 2})
	snap.VirtualServices = vss
	return Translate(snap, "test")
}

func routedSubset(t *testing.T, m *mesh.Mesh) string {
	t.Helper()
	vh := m.VirtualHost("svc-0.ns-0.svc.cluster.local", 9080)
	if vh == nil || len(vh.HTTPRoutes) == 0 {
		t.Fatal("svc-0:9080 has no routes")
	}
	return vh.HTTPRoutes[0].Destinations[0].Cluster.Subset
}

func TestVirtualServicePrecedence(t *testing.T) {
	tests := []struct {
		name       string
		vss        []*networkingv1.VirtualService
		wantSubset string
		wantWarn   string
	}{
		{"oldest exact wins", []*networkingv1.VirtualService{vs("newer", 1, []string{"svc-0"}, "v2"), vs("older", 5, []string{"svc-0"}, "v1")},
			"v1", "VirtualService ns-0/newer: spec.hosts"},
		{"exact beats wildcard", []*networkingv1.VirtualService{vs("wild", 9, []string{"*.ns-0.svc.cluster.local"}, "v2"), vs("exact", 1, []string{"svc-0.ns-0.svc.cluster.local"}, "v1")},
			"v1", ""},
		{"longer wildcard wins", []*networkingv1.VirtualService{vs("star", 9, []string{"*"}, "v2"), vs("ns", 1, []string{"*.svc.cluster.local"}, "v1")},
			"v1", ""},
		{"gateway-only VS ignored", []*networkingv1.VirtualService{vs("gw", 9, []string{"svc-0"}, "v2", "ns-0/ingress"), vs("mesh", 1, []string{"svc-0"}, "v1", "mesh")},
			"v1", "VirtualService ns-0/gw: spec.gateways"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := meshWith(t, tt.vss...)
			if got := routedSubset(t, m); got != tt.wantSubset {
				t.Errorf("routed to subset %q, want %q", got, tt.wantSubset)
			}
			if tt.wantWarn != "" && !hasDiagnostic(m, tt.wantWarn) {
				t.Errorf("missing warning %q in %+v", tt.wantWarn, m.Diagnostics)
			}
		})
	}
}

func hasDiagnostic(m *mesh.Mesh, prefix string) bool {
	for _, d := range m.Diagnostics {
		if strings.HasPrefix(d.Ref.String()+": "+d.Field, prefix) {
			return true
		}
	}
	return false
}

// Two DestinationRules for one host merge their subsets; the oldest rule's
// top-level policy applies and a duplicate subset keeps its first definition.
func TestDestinationRulesMerge(t *testing.T) {
	snap := pipeline.Synthetic(pipeline.SyntheticOptions{Services: 1, PodsPerService: 2})
	base := snap.DestinationRules[0]
	base.CreationTimestamp = metav1.NewTime(epoch)
	base.Spec.TrafficPolicy = simpleLB(networking.LoadBalancerSettings_LEAST_REQUEST)
	extra := base.DeepCopy()
	extra.Name, extra.CreationTimestamp = "extra", metav1.NewTime(epoch.Add(time.Hour))
	extra.Spec.TrafficPolicy = simpleLB(networking.LoadBalancerSettings_RANDOM)
	extra.Spec.Subsets = []*networking.Subset{{Name: "canary", Labels: map[string]string{"version": "v2"}}, {Name: "v1", Labels: map[string]string{"version": "nope"}}}
	snap.DestinationRules = append(snap.DestinationRules, extra)
	m := Translate(snap, "test")

	key := mesh.ClusterKey{Direction: mesh.Outbound, Port: 9080, Host: "svc-0.ns-0.svc.cluster.local"}
	for _, subset := range []string{"", "v1", "v2", "canary"} {
		key.Subset = subset
		c := m.Cluster(key)
		if c == nil {
			t.Fatalf("cluster %s missing", key)
		}
		if c.Policy.LoadBalancer == nil || c.Policy.LoadBalancer.Kind != mesh.LBLeastRequest {
			t.Errorf("%s: want the oldest rule's LEAST_REQUEST, got %+v", key, c.Policy.LoadBalancer)
		}
	}
	key.Subset = "v1"
	if got := m.Cluster(key).SubsetLabels["version"]; got != "v1" {
		t.Errorf("duplicate subset v1 took the newer definition (version=%s)", got)
	}
}

func simpleLB(lb networking.LoadBalancerSettings_SimpleLB) *networking.TrafficPolicy {
	return &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{
		LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: lb}}}
}
