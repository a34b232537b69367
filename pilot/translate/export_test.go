package translate

import (
	"slices"
	"strings"
	"testing"

	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/mesh"
)

func TestExportSet(t *testing.T) {
	for _, tc := range []struct {
		name           string
		list, defaults []string
		visible        []string // of own, a, b
		namespaces     []string
	}{
		{name: "unset is public", visible: []string{"own", "a", "b"}},
		{name: "dot is the owner", list: []string{"."}, visible: []string{"own"}, namespaces: []string{"own"}},
		{name: "names", list: []string{"a", "."}, visible: []string{"own", "a"}, namespaces: []string{"a", "own"}},
		{name: "star", list: []string{"*"}, visible: []string{"own", "a", "b"}},
		{name: "tilde is no one", list: []string{"~"}, namespaces: []string{"~"}},
		{name: "default when unset", defaults: []string{"."}, visible: []string{"own"}, namespaces: []string{"own"}},
		{name: "own list beats the default", list: []string{"b"}, defaults: []string{"."}, visible: []string{"b"}, namespaces: []string{"b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newExportSet(tc.list, tc.defaults, "own")
			var visible []string
			for _, ns := range []string{"own", "a", "b"} {
				if e.visibleTo(ns) {
					visible = append(visible, ns)
				}
			}
			if !slices.Equal(visible, tc.visible) || !slices.Equal(e.namespaces(), tc.namespaces) {
				t.Errorf("visible to %v, namespaces %v; want %v, %v", visible, e.namespaces(), tc.visible, tc.namespaces)
			}
		})
	}
}

const twoNamespaces = `
apiVersion: v1
kind: Service
metadata: {name: api, namespace: a}
spec:
  clusterIP: 10.96.40.1
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api, namespace: a}
spec:
  host: api
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: a}
spec:
  hosts: [api]
  http:
  - timeout: 2s
    route: [{destination: {host: api}}]
`

// A mesh whose config is exported everywhere and whose rules sit in their
// service's namespace has no views: every proxy shares one mesh, as before
// exportTo was read.
func TestNoExportToNoViews(t *testing.T) {
	m := Translate(golden.SnapshotOf(t, "mesh.yaml", []byte(twoNamespaces)), "t")
	if m.Views != nil {
		t.Fatalf("views %v, want none", m.Views)
	}
	if v := m.ViewFor("b", nil); v != m || v.ViewKey() != "" {
		t.Errorf("ViewFor gave another mesh (key %q)", v.ViewKey())
	}
}

// MeshConfig defaultVirtualServiceExportTo "." keeps a VirtualService
// without exportTo in its namespace.
func TestDefaultVirtualServiceExportTo(t *testing.T) {
	m := TranslateWith(golden.SnapshotOf(t, "mesh.yaml", []byte(twoNamespaces)), "t", Options{DefaultVirtualServiceExportTo: []string{"."}})
	host := "api.a.svc.cluster.local"
	if routes := m.ViewFor("b", nil).VirtualHost(host, 80).HTTPRoutes; len(routes) != 0 {
		t.Errorf("namespace b sees %d rules, want none", len(routes))
	}
	if routes := m.ViewFor("a", nil).VirtualHost(host, 80).HTTPRoutes; len(routes) != 1 {
		t.Errorf("namespace a sees %d rules, want 1", len(routes))
	}
}

// defaultDestinationRuleExportTo "." makes a rule without exportTo private:
// other namespaces' proxies get no policy from it.
func TestDefaultDestinationRuleExportTo(t *testing.T) {
	m := TranslateWith(golden.SnapshotOf(t, "mesh.yaml", []byte(twoNamespaces)), "t", Options{DefaultDestinationRuleExportTo: []string{"."}})
	key := mesh.ClusterKey{Direction: mesh.Outbound, Port: 80, Host: "api.a.svc.cluster.local"}
	if lb := m.ViewFor("b", nil).Cluster(key).Policy.LoadBalancer; lb != nil {
		t.Errorf("namespace b: load balancer %v, want the default", lb.Kind)
	}
	if lb := m.ViewFor("a", nil).Cluster(key).Policy.LoadBalancer; lb == nil || lb.Kind != mesh.LBRandom {
		t.Errorf("namespace a: load balancer %v, want RANDOM", lb)
	}
}

// defaultServiceExportTo "~" hides services without exportTo from every
// namespace, their own included.
func TestDefaultServiceExportToNone(t *testing.T) {
	m := TranslateWith(golden.SnapshotOf(t, "mesh.yaml", []byte(twoNamespaces)), "t", Options{DefaultServiceExportTo: []string{"~"}})
	for _, ns := range []string{"a", "b"} {
		if v := m.ViewFor(ns, nil); v.Service("api.a.svc.cluster.local") != nil || len(v.Clusters) != 0 {
			t.Errorf("namespace %s sees the service", ns)
		}
	}
}

const privateVSs = twoNamespaces + `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-from-b, namespace: b}
spec:
  hosts: [api.a.svc.cluster.local]
  exportTo: ["."]
  http:
  - timeout: 5s
    route: [{destination: {host: api.a.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-late, namespace: c}
spec:
  hosts: [api.a.svc.cluster.local]
  http:
  - route: [{destination: {host: api.a.svc.cluster.local}}]
`

// b's proxies prefer the VirtualService private to b over a's public one,
// istiod's order; Istio's analyzer still counts the pair as conflicting
// (IST0109), as it does two public ones.
func TestPrivateVirtualServicePrecedence(t *testing.T) {
	m := Translate(golden.SnapshotOf(t, "mesh.yaml", []byte(privateVSs)), "t")
	host := "api.a.svc.cluster.local"
	if got := m.ViewFor("b", nil).VirtualHost(host, 80).HTTPRoutes[0].Origin; got != "b/api-from-b.http[0]" {
		t.Errorf("namespace b uses %s", got)
	}
	if got := m.ViewFor("c", nil).VirtualHost(host, 80).HTTPRoutes[0].Origin; got != "a/api.http[0]" {
		t.Errorf("namespace c uses %s, want the oldest public one", got)
	}
	var conflicts []string
	for _, d := range m.Diagnostics {
		if d.Reason == mesh.ReasonConflict {
			conflicts = append(conflicts, d.Ref.Name)
		}
	}
	if !slices.Equal(conflicts, []string{"api-from-b", "api-late"}) {
		t.Errorf("conflicts reported for %v, want api-from-b and api-late", conflicts)
	}
}

const selectorOnly = twoNamespaces + `
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-canary, namespace: b}
spec:
  host: api.a.svc.cluster.local
  workloadSelector: {matchLabels: {track: canary}}
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
`

// istiod looks in the client namespace first and stops at any match, even
// a selector rule: b's workloads it does not select get no rule at all,
// not a's.
func TestSelectorRuleShadowsForOthersInItsNamespace(t *testing.T) {
	m := Translate(golden.SnapshotOf(t, "mesh.yaml", []byte(selectorOnly)), "t")
	key := mesh.ClusterKey{Direction: mesh.Outbound, Port: 80, Host: "api.a.svc.cluster.local"}
	for _, tc := range []struct {
		ns     string
		labels map[string]string
		want   mesh.LBKind
	}{
		{"b", map[string]string{"track": "canary"}, mesh.LBRoundRobin},
		{"b", map[string]string{"track": "stable"}, ""},
		{"c", map[string]string{"track": "canary"}, mesh.LBRandom},
	} {
		var got mesh.LBKind
		if lb := m.ViewFor(tc.ns, tc.labels).Cluster(key).Policy.LoadBalancer; lb != nil {
			got = lb.Kind
		}
		if got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.ns, tc.labels, got, tc.want)
		}
	}
}

const rootRules = twoNamespaces + `
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-root-private, namespace: istio-system}
spec:
  host: api.a.svc.cluster.local
  exportTo: ["."]
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
`

// A root-namespace rule exported to "." applies to root-namespace proxies
// before the service namespace's, and to no one else.
func TestRootNamespacePrivateRule(t *testing.T) {
	m := Translate(golden.SnapshotOf(t, "mesh.yaml", []byte(rootRules)), "t")
	key := mesh.ClusterKey{Direction: mesh.Outbound, Port: 80, Host: "api.a.svc.cluster.local"}
	if lb := m.ViewFor(RootNamespace, nil).Cluster(key).Policy.LoadBalancer; lb == nil || lb.Kind != mesh.LBRoundRobin {
		t.Errorf("root namespace: %v, want ROUND_ROBIN", lb)
	}
	if lb := m.ViewFor("c", nil).Cluster(key).Policy.LoadBalancer; lb == nil || lb.Kind != mesh.LBRandom {
		t.Errorf("namespace c: %v, want RANDOM (the service namespace's)", lb)
	}
}

// Views are shared: namespaces that see the same restricted services and
// have no View of their own get one mesh; keys differ between views.
func TestViewsAreSharedPerVisibility(t *testing.T) {
	yaml := strings.Replace(twoNamespaces, "metadata: {name: api, namespace: a}\nspec:\n  clusterIP",
		"metadata: {name: api, namespace: a, annotations: {networking.istio.io/exportTo: \"a,b\"}}\nspec:\n  clusterIP", 1)
	m := Translate(golden.SnapshotOf(t, "mesh.yaml", []byte(yaml)), "t")
	c, d, b := m.ViewFor("c", nil), m.ViewFor("d", nil), m.ViewFor("b", nil)
	if c != d {
		t.Error("namespaces c and d see the same and should share a view")
	}
	if b == c || b.ViewKey() == c.ViewKey() {
		t.Errorf("b and c see different services but share key %q", b.ViewKey())
	}
	if b.Service("api.a.svc.cluster.local") == nil || c.Service("api.a.svc.cluster.local") != nil {
		t.Error("the annotation's namespace list is not applied")
	}
}

const twoRulesOneHost = twoNamespaces + `
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-for-b, namespace: a, creationTimestamp: "2030-01-01T00:00:00Z"}
spec:
  host: api
  exportTo: [b]
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
  subsets: [{name: v9, labels: {version: v9}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-subsets, namespace: a, creationTimestamp: "2029-01-01T00:00:00Z"}
spec:
  host: api
  subsets: [{name: v1, labels: {version: v1}}]
`

// Rules for one host in one namespace merge only when their exportTo is
// the same (istiod's ENABLE_ENHANCED_DESTINATIONRULE_MERGE, on by
// default); a proxy seeing several such rules uses the last one.
func TestRulesMergePerExportTo(t *testing.T) {
	m := Translate(golden.SnapshotOf(t, "mesh.yaml", []byte(twoRulesOneHost)), "t")
	host := "api.a.svc.cluster.local"
	for _, tc := range []struct {
		ns      string
		lb      mesh.LBKind
		subsets []string
	}{
		{"c", mesh.LBRandom, []string{"", "v1"}},     // the two rules without exportTo, merged
		{"b", mesh.LBRoundRobin, []string{"", "v9"}}, // the rule exported to b, on its own
	} {
		v := m.ViewFor(tc.ns, nil)
		var subsets []string
		for _, c := range v.ClustersOf(host) {
			subsets = append(subsets, c.Key.Subset)
		}
		lb := v.Cluster(mesh.ClusterKey{Direction: mesh.Outbound, Port: 80, Host: host}).Policy.LoadBalancer
		if lb == nil || lb.Kind != tc.lb || !slices.Equal(subsets, tc.subsets) {
			t.Errorf("namespace %s: %v %v, want %s %v", tc.ns, lb, subsets, tc.lb, tc.subsets)
		}
	}
}

// Checked against istiod (pilot-discovery built from Istio master, proxies
// in b, c, d and e asking over ADS): the routes and clusters each
// namespace's sidecar received.
const istiodChecked = `apiVersion: v1
kind: Service
metadata: {name: api, namespace: a}
spec:
  clusterIP: 10.96.40.1
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api, namespace: a, creationTimestamp: "2028-01-01T00:00:00Z"}
spec:
  host: api
  trafficPolicy: {loadBalancer: {simple: RANDOM}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-for-b, namespace: a, creationTimestamp: "2030-01-01T00:00:00Z"}
spec:
  host: api
  exportTo: [b]
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
  subsets: [{name: v9, labels: {version: v9}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api-subsets, namespace: a, creationTimestamp: "2030-01-02T00:00:00Z"}
spec:
  host: api
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api, namespace: a, creationTimestamp: "2028-01-01T00:00:00Z"}
spec:
  hosts: [api]
  http:
  - timeout: 2s
    route: [{destination: {host: api}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-from-b, namespace: b, creationTimestamp: "2029-01-01T00:00:00Z"}
spec:
  hosts: [api.a.svc.cluster.local]
  exportTo: ["."]
  http:
  - timeout: 5s
    route: [{destination: {host: api.a.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-for-b-by-name, namespace: c, creationTimestamp: "2029-12-01T00:00:00Z"}
spec:
  hosts: [api.a.svc.cluster.local]
  exportTo: [b, d]
  http:
  - timeout: 7s
    route: [{destination: {host: api.a.svc.cluster.local}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api-late, namespace: c, creationTimestamp: "2029-06-01T00:00:00Z"}
spec:
  hosts: [api.a.svc.cluster.local]
  http:
  - timeout: 9s
    route: [{destination: {host: api.a.svc.cluster.local}}]
`

// A proxy takes the VirtualService private to its namespace first, then
// one exported to it by name (even if newer than a public one), then the
// oldest public one. For DestinationRules, istiod consolidates rules per
// exportTo and uses the last catch-all entry a proxy sees: api-subsets,
// newest and without exportTo, starts an entry of its own after
// api-for-b's, so every namespace gets its subsets and no policy.
func TestPrecedenceAsIstiod(t *testing.T) {
	m := Translate(golden.SnapshotOf(t, "mesh.yaml", []byte(istiodChecked)), "t")
	host := "api.a.svc.cluster.local"
	for ns, want := range map[string]string{"b": "b/api-from-b.http[0]", "c": "a/api.http[0]", "d": "c/api-for-b-by-name.http[0]", "e": "a/api.http[0]"} {
		v := m.ViewFor(ns, nil)
		if got := v.VirtualHost(host, 80).HTTPRoutes[0].Origin; got != want {
			t.Errorf("namespace %s routes by %s, want %s", ns, got, want)
		}
		var subsets []string
		for _, c := range v.ClustersOf(host) {
			subsets = append(subsets, c.Key.Subset)
			if c.Policy.LoadBalancer != nil {
				t.Errorf("namespace %s: %s has load balancer %s, want none", ns, c.Key, c.Policy.LoadBalancer.Kind)
			}
		}
		if !slices.Equal(subsets, []string{"", "v1"}) {
			t.Errorf("namespace %s: subsets %v, want v1 only", ns, subsets)
		}
	}
}
