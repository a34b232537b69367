package support_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	securityv1beta1 "istio.io/api/security/v1beta1"
	typev1beta1 "istio.io/api/type/v1beta1"

	"github.com/weftmesh/weft/apis/support"
)

func paths(fs []support.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}

func wantPaths(t *testing.T, got []support.Finding, want ...string) {
	t.Helper()
	if !slices.Equal(paths(got), want) {
		t.Errorf("findings at %q\nwant %q", paths(got), want)
	}
}

func exact(s string) *networkingv1alpha3.StringMatch {
	return &networkingv1alpha3.StringMatch{MatchType: &networkingv1alpha3.StringMatch_Exact{Exact: s}}
}

func prefix(s string) *networkingv1alpha3.StringMatch {
	return &networkingv1alpha3.StringMatch{MatchType: &networkingv1alpha3.StringMatch_Prefix{Prefix: s}}
}

// reviews: a weighted split, a CORS rule, a delegated rule with header and
// query matches, and a TLS route.
func reviews() *networkingv1alpha3.VirtualService {
	return &networkingv1alpha3.VirtualService{
		Hosts: []string{"reviews"},
		Http: []*networkingv1alpha3.HTTPRoute{{
			Route: []*networkingv1alpha3.HTTPRouteDestination{
				{Destination: &networkingv1alpha3.Destination{Host: "reviews", Subset: "v1"}, Weight: 90},
				{Destination: &networkingv1alpha3.Destination{Host: "reviews", Subset: "v2"}, Weight: 10},
			},
			CorsPolicy: &networkingv1alpha3.CorsPolicy{AllowMethods: []string{"GET"}},
		}, {
			Match: []*networkingv1alpha3.HTTPMatchRequest{{
				Headers:     map[string]*networkingv1alpha3.StringMatch{"x-user": exact("jason")},
				QueryParams: map[string]*networkingv1alpha3.StringMatch{"b": prefix("1"), "a": exact("2")},
			}},
			Delegate: &networkingv1alpha3.Delegate{Name: "reviews-v3", Namespace: "other"},
		}},
		Tls: []*networkingv1alpha3.TLSRoute{{Match: []*networkingv1alpha3.TLSMatchAttributes{{SniHosts: []string{"reviews"}}}}},
	}
}

func TestCheckForSidecar(t *testing.T) {
	// Every field this VirtualService sets, tls rules included, is
	// supported for sidecars.
	wantPaths(t, support.CheckFor("VirtualService", reviews(), support.Sidecar))
	// tunnel is an unsupported subtree: its fields are not listed.
	dr := &networkingv1alpha3.DestinationRule{Host: "reviews", TrafficPolicy: &networkingv1alpha3.TrafficPolicy{
		Tunnel: &networkingv1alpha3.TrafficPolicy_TunnelSettings{Protocol: "CONNECT", TargetHost: "egress", TargetPort: 8080}}}
	got := support.CheckFor("DestinationRule", dr, support.Sidecar)
	wantPaths(t, got, "trafficPolicy.tunnel")
	if got[0].Key != "trafficPolicy.tunnel" || got[0].Entry.Sidecar != support.Unsupported || got[0].Entry.Note == "" {
		t.Errorf("tunnel finding %+v", got[0])
	}
}

func TestCheckForProxyless(t *testing.T) {
	got := support.CheckFor("VirtualService", reviews(), support.Proxyless)
	// A list or map is reported once, by name; its elements' fields by index or key.
	wantPaths(t, got,
		"http[0].corsPolicy", "http[0].corsPolicy.allowMethods",
		"http[1].match[0].queryParams", "http[1].match[0].queryParams{a}.exact", "http[1].match[0].queryParams{b}.prefix",
		"tls", "tls[0].match", "tls[0].match[0].sniHosts")
	if f := got[3]; f.Key != "http[].match[].queryParams{}.exact" || f.Entry.Proxyless != support.Unsupported || f.Entry.Sidecar != support.Supported {
		t.Errorf("query finding %+v", f)
	}
}

// Check reports every field not supported for all proxy kinds; weft has no
// gateways, so that is each set field, with subtrees collapsed.
func TestCheckAllKinds(t *testing.T) {
	dr := &networkingv1alpha3.DestinationRule{
		Host: "reviews",
		TrafficPolicy: &networkingv1alpha3.TrafficPolicy{
			Tunnel: &networkingv1alpha3.TrafficPolicy_TunnelSettings{Protocol: "CONNECT", TargetHost: "egress", TargetPort: 8080},
		},
		Subsets:          []*networkingv1alpha3.Subset{{Name: "v1", Labels: map[string]string{"version": "v1"}}},
		WorkloadSelector: &typev1beta1.WorkloadSelector{MatchLabels: map[string]string{"app": "x"}},
	}
	got := support.Check("DestinationRule", dr)
	wantPaths(t, got, "host", "trafficPolicy", "trafficPolicy.tunnel", "subsets", "subsets[0].name", "subsets[0].labels", "workloadSelector", "workloadSelector.matchLabels")
	if got[0].Entry.Sidecar != support.Supported || got[0].Entry.Gateway != support.Unsupported {
		t.Errorf("host entry %+v", got[0].Entry)
	}
}

func TestCheckMapIndexAndPartial(t *testing.T) {
	pa := &securityv1beta1.PeerAuthentication{
		PortLevelMtls: map[uint32]*securityv1beta1.PeerAuthentication_MutualTLS{
			8080: {Mode: securityv1beta1.PeerAuthentication_MutualTLS_PERMISSIVE},
		},
	}
	got := support.CheckFor("PeerAuthentication", pa, support.Proxyless)
	wantPaths(t, got, "portLevelMtls{8080}.mode")
	if got[0].Entry.Proxyless != support.Partial || got[0].Entry.Note == "" {
		t.Errorf("entry %+v", got[0].Entry)
	}
	if s := support.CheckFor("PeerAuthentication", pa, support.Sidecar); len(s) != 0 {
		t.Errorf("sidecar findings %q", paths(s))
	}
}

func TestCheckWholeKind(t *testing.T) {
	got := support.Check("EnvoyFilter", support.SpecMessage("EnvoyFilter"))
	if len(got) != 1 || got[0].Path != "" || got[0].Key != "" || got[0].Entry.Sidecar != support.Unsupported {
		t.Fatalf("findings %+v", got)
	}
	if got := support.Check("NoSuchKind", &networkingv1alpha3.VirtualService{}); got != nil {
		t.Errorf("unknown kind: %+v", got)
	}
	if got := support.Check("DestinationRule", reviews()); len(got) != 1 || got[0].Entry.Sidecar != support.Unsupported || got[0].Path != "" {
		t.Errorf("a VirtualService checked as a DestinationRule: %+v", got)
	}
	if got := support.Check("VirtualService", &networkingv1alpha3.VirtualService{}); len(got) != 0 {
		t.Errorf("empty spec: %+v", got)
	}
}

func TestKindSupport(t *testing.T) {
	for kind, want := range map[string]support.Level{
		"VirtualService": support.Supported, "AuthorizationPolicy": support.Unsupported,
		"Gateway": support.Unsupported, "TrafficExtension": support.Unsupported, "Telemetry": support.Unsupported,
	} {
		e, ok := support.KindSupport(kind)
		if !ok || e.Sidecar != want || e.Gateway != support.Unsupported {
			t.Errorf("%s: %+v, %v; want sidecar %v", kind, e, ok, want)
		}
	}
	if _, ok := support.KindSupport("Ingress"); ok {
		t.Error("Ingress is not an Istio kind")
	}
	if support.SpecMessage("Ingress") != nil {
		t.Error("SpecMessage of an unknown kind")
	}
	if m := support.SpecMessage("VirtualService"); !proto.Equal(m, &networkingv1alpha3.VirtualService{}) {
		t.Errorf("SpecMessage: %T", m)
	}
}

func TestKeyFor(t *testing.T) {
	cases := map[string]string{
		"http[0].match[1].headers{x.y}.exact": "http[].match[].headers{}.exact",
		"tls":                                 "tls[]",
		"http[2].route[0].destination.port":   "http[].route[].destination.port",
		"exportTo":                            "exportTo[]",
		"":                                    "",
	}
	for path, want := range cases {
		if got, ok := support.KeyFor("VirtualService", path); !ok || got != want {
			t.Errorf("KeyFor(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
	for _, bad := range []string{"http[0].nope", "http[0", "hosts.x", "http..name", "http."} {
		if got, ok := support.KeyFor("VirtualService", bad); ok {
			t.Errorf("KeyFor(%q) = %q, want failure", bad, got)
		}
	}
}
