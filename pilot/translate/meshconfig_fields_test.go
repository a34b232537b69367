package translate

import (
	"slices"
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/pilot/config"
)

func TestMeshConfigFields(t *testing.T) {
	for _, tc := range []struct {
		name, yaml   string
		registryOnly bool
		failover     string
		trustDomain  string
		unread       []string
	}{
		{name: "outbound mode written out", yaml: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n", registryOnly: true},
		// REGISTRY_ONLY is the enum's zero value; Istio's default is ALLOW_ANY.
		{name: "outbound policy without a mode", yaml: "outboundTrafficPolicy: {}\n"},
		{name: "allow any", yaml: "outboundTrafficPolicy: {mode: ALLOW_ANY}\n"},
		{name: "locality failover", yaml: "localityLbSetting: {failover: [{from: us-east, to: us-west}]}\n", failover: "us-east>us-west"},
		{name: "trust domain", yaml: "trustDomain: corp.example\ntrustDomainAliases: [old.example]\n", trustDomain: "corp.example"},
		{name: "fields weft does not act on are listed", yaml: "accessLogFile: /dev/stdout\nconnectTimeout: 5s\nrootNamespace: istio-system\nenableAutoMtls: true\n",
			unread: []string{"accessLogFile", "connectTimeout"}},
		{name: "settings weft differs on are explained", yaml: "rootNamespace: mesh-root\nenableAutoMtls: false\n",
			unread: []string{"enableAutoMtls (weft always uses automatic mutual TLS)", "rootNamespace (weft's root namespace is istio-system)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OptionsFromMeshConfig([]byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			failover := ""
			for _, f := range got.LocalityLB.GetFailover() {
				failover += f.GetFrom() + ">" + f.GetTo()
			}
			if got.RegistryOnly != tc.registryOnly || failover != tc.failover || got.TrustDomain != tc.trustDomain || !slices.Equal(got.Unread, tc.unread) {
				t.Errorf("got registryOnly %v failover %q trustDomain %q unread %q", got.RegistryOnly, failover, got.TrustDomain, got.Unread)
			}
		})
	}
}

// MeshConfig REGISTRY_ONLY is the default of every proxy: those no
// Sidecar covers, and those whose Sidecar sets no outboundTrafficPolicy;
// a Sidecar's own policy wins.
func TestMeshConfigOutboundPolicy(t *testing.T) {
	sidecar := func(ns, name string, policy *networking.OutboundTrafficPolicy, sel map[string]string) *networkingv1.Sidecar {
		sc := &networkingv1.Sidecar{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		sc.Spec.OutboundTrafficPolicy = policy
		if sel != nil {
			sc.Spec.WorkloadSelector = &networking.WorkloadSelector{Labels: sel}
		}
		return sc
	}
	allowAny := &networking.OutboundTrafficPolicy{Mode: networking.OutboundTrafficPolicy_ALLOW_ANY}
	snap := &config.Snapshot{Sidecars: []*networkingv1.Sidecar{
		sidecar("shop", "default", nil, nil),
		sidecar("web", "open", allowAny, map[string]string{"app": "open"}),
	}}
	m := TranslateWith(snap, "v", Options{RegistryOnly: true})
	for _, tc := range []struct {
		ns     string
		labels map[string]string
		want   bool
	}{
		{"other", nil, true},
		{"shop", nil, true},
		{"web", map[string]string{"app": "open"}, false},
		{"web", map[string]string{"app": "closed"}, true},
	} {
		if got := m.ScopeFor(tc.ns, tc.labels).BlocksUnknown(); got != tc.want {
			t.Errorf("%s %v: blocks unknown %v, want %v", tc.ns, tc.labels, got, tc.want)
		}
	}
	if TranslateWith(snap, "v", Options{}).ScopeFor("other", nil).BlocksUnknown() {
		t.Error("without MeshConfig REGISTRY_ONLY a namespace no Sidecar covers passes unknown destinations through")
	}
}
