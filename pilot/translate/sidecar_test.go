package translate

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/pipeline"
)

func sidecar(ns, name string, age int, selector map[string]string, hosts ...string) *networkingv1.Sidecar {
	sc := &networkingv1.Sidecar{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
		CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(-age) * time.Hour))}}
	if selector != nil {
		sc.Spec.WorkloadSelector = &networking.WorkloadSelector{Labels: selector}
	}
	if hosts != nil {
		sc.Spec.Egress = []*networking.IstioEgressListener{{Hosts: hosts}}
	}
	return sc
}

// Which Sidecar applies, and what it lets a workload see, as Istio decides:
// a selector beats the namespace default, which beats the root default.
func TestSidecarScopeResolution(t *testing.T) {
	snap := pipeline.Synthetic(pipeline.SyntheticOptions{Services: 6, PodsPerService: 2, Namespaces: 3})
	snap.Sidecars = []*networkingv1.Sidecar{
		sidecar("istio-system", "default", 1, nil, "ns-2/*"),
		sidecar("ns-0", "default", 1, nil, "./*"),
		sidecar("ns-0", "newer-default", 0, nil, "*/*"),
		sidecar("ns-0", "canary", 0, map[string]string{"track": "canary"}, "ns-1/svc-1.ns-1.svc.cluster.local"),
		sidecar("ns-1", "no-egress", 1, nil),
	}
	m := Translate(snap, "test")
	tests := []struct {
		ns     string
		labels map[string]string
		scope  string
		sees   []string
	}{
		{"ns-0", map[string]string{"app": "x"}, "Sidecar ns-0/default", []string{"svc-0", "svc-3"}},
		{"ns-0", map[string]string{"track": "canary"}, "Sidecar ns-0/canary", []string{"svc-1"}},
		{"ns-1", nil, "Sidecar ns-1/no-egress", []string{"svc-0", "svc-1", "svc-2", "svc-3", "svc-4", "svc-5"}}, // no egress: istiod imports */*, the root default does not apply
		{"ns-2", nil, "Sidecar istio-system/default", []string{"svc-2", "svc-5"}},
	}
	for _, tt := range tests {
		s := m.ScopeFor(tt.ns, tt.labels)
		if s.Key() != tt.scope {
			t.Errorf("%s %v: scope %q, want %q", tt.ns, tt.labels, s.Key(), tt.scope)
			continue
		}
		var got []string
		for _, svc := range m.Scoped(s).Services {
			got = append(got, svc.Name)
		}
		if len(got) != len(tt.sees) || (len(got) > 0 && (got[0] != tt.sees[0] || got[len(got)-1] != tt.sees[len(tt.sees)-1])) {
			t.Errorf("%s %v sees %v, want %v", tt.ns, tt.labels, got, tt.sees)
		}
	}
	first, again := m.Scoped(m.ScopeFor("ns-0", nil)), m.Scoped(m.ScopeFor("ns-0", nil))
	if first != again {
		t.Error("scoped mesh rebuilt for the same scope")
	}
}

// Without any Sidecar every workload sees the whole mesh.
func TestNoSidecarSeesEverything(t *testing.T) {
	m := Translate(pipeline.Synthetic(pipeline.SyntheticOptions{Services: 4, PodsPerService: 2, Namespaces: 2}), "test")
	if s := m.ScopeFor("ns-0", nil); s != nil || m.Scoped(s) != m {
		t.Fatalf("scope %v without Sidecars", s)
	}
}

// Fields weft does not act on are reported with their path.
func TestSidecarUnsupportedFields(t *testing.T) {
	snap := pipeline.Synthetic(pipeline.SyntheticOptions{Services: 1, PodsPerService: 2})
	sc := sidecar("ns-0", "default", 0, nil, "./*")
	sc.Spec.Egress[0].Port = &networking.SidecarPort{Number: 9080, Protocol: "HTTP_PROXY", Name: "proxy"}
	snap.Sidecars = []*networkingv1.Sidecar{sc}
	m := Translate(snap, "test")
	for _, want := range []string{"Sidecar ns-0/default: spec.egress[0].port.protocol"} {
		if !hasDiagnostic(m, want) {
			t.Errorf("no diagnostic for %s in %+v", want, m.Diagnostics)
		}
	}
}

// A Sidecar without egress still applies (istiod imports */*), and only an
// explicit REGISTRY_ONLY blocks unknown destinations: the mode's zero
// value must not.
func TestSidecarOutboundTrafficPolicy(t *testing.T) {
	for _, tt := range []struct {
		policy *networking.OutboundTrafficPolicy
		blocks bool
		scoped bool
	}{
		{nil, false, true},
		{&networking.OutboundTrafficPolicy{Mode: networking.OutboundTrafficPolicy_ALLOW_ANY}, false, true},
		{&networking.OutboundTrafficPolicy{Mode: networking.OutboundTrafficPolicy_REGISTRY_ONLY}, true, true},
	} {
		snap := pipeline.Synthetic(pipeline.SyntheticOptions{Services: 2, PodsPerService: 1, Namespaces: 2})
		sc := sidecar("ns-0", "default", 0, nil)
		sc.Spec.OutboundTrafficPolicy = tt.policy
		snap.Sidecars = []*networkingv1.Sidecar{sc}
		m := Translate(snap, "test")
		s := m.ScopeFor("ns-0", nil)
		if s.BlocksUnknown() != tt.blocks || (s != nil) != tt.scoped {
			t.Errorf("%v: scope %v blocks %v, want scoped %v blocks %v", tt.policy, s, s.BlocksUnknown(), tt.scoped, tt.blocks)
		}
		if s != nil && len(m.Scoped(s).Services) != len(m.Services) {
			t.Errorf("%v: a Sidecar without egress must see every service", tt.policy)
		}
	}
}

// A root-namespace Sidecar's "./*" is each proxy's own namespace, bound
// once per namespace so scoped meshes are still shared.
func TestRootSidecarOwnNamespace(t *testing.T) {
	snap := pipeline.Synthetic(pipeline.SyntheticOptions{Services: 4, PodsPerService: 1, Namespaces: 2})
	snap.Sidecars = []*networkingv1.Sidecar{sidecar("istio-system", "default", 0, nil, "./*")}
	m := Translate(snap, "test")
	for _, ns := range []string{"ns-0", "ns-1"} {
		s := m.ScopeFor(ns, nil)
		if s != m.ScopeFor(ns, nil) {
			t.Errorf("%s: scope bound twice", ns)
		}
		for _, svc := range m.Scoped(s).Services {
			if svc.Namespace != ns {
				t.Errorf("%s sees %s of %s", ns, svc.Hostname, svc.Namespace)
			}
		}
		if len(m.Scoped(s).Services) == 0 {
			t.Errorf("%s sees nothing of its own namespace", ns)
		}
	}
	if m.ScopeFor("ns-0", nil).Key() == m.ScopeFor("ns-1", nil).Key() {
		t.Error("namespaces bound to one root Sidecar share a config key")
	}
}
