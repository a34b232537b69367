package mesh

import "testing"

func viewTestMesh() *Mesh {
	port := Port{Name: "http", Number: 80, Protocol: ProtocolHTTP}
	pub := &Service{Hostname: "pub.a.svc.cluster.local", Namespace: "a", Ports: []Port{port}}
	priv := &Service{Hostname: "priv.a.svc.cluster.local", Namespace: "a", Ports: []Port{port}, ExportTo: []string{"a"}}
	cluster := func(s *Service, lb LBKind) *Cluster {
		return &Cluster{Key: ClusterKey{Direction: Outbound, Port: 80, Host: s.Hostname}, Service: s, Port: port,
			Policy: TrafficPolicy{LoadBalancer: &LoadBalancer{Kind: lb}}}
	}
	m := &Mesh{Services: []*Service{pub, priv},
		Clusters:     []*Cluster{cluster(pub, LBLeastRequest), cluster(priv, LBLeastRequest)},
		VirtualHosts: []*VirtualHost{{Service: pub, Port: port}, {Service: priv, Port: port}},
		Views: map[string]*View{"a": {Namespace: "a", Clusters: []*Cluster{cluster(pub, LBRandom)},
			Selected: []*SelectedRule{
				{Ref: Ref{Name: "old"}, Selector: map[string]string{"app": "x"}, Clusters: []*Cluster{cluster(pub, LBRingHash)}},
				{Ref: Ref{Name: "new"}, Selector: map[string]string{"tier": "y"}, Clusters: []*Cluster{cluster(pub, LBMaglev), cluster(priv, LBRoundRobin)}},
			}}}}
	m.Index()
	return m
}

func lbOf(m *Mesh, host string) LBKind {
	c := m.Cluster(ClusterKey{Direction: Outbound, Port: 80, Host: host})
	if c == nil {
		return ""
	}
	return c.Policy.LoadBalancer.Kind
}

// A View replaces its hosts' clusters; a selected rule replaces the View's
// for the workloads it selects, the older rule first; a service not
// exported to the namespace is gone with its clusters and routes.
func TestViewForLayers(t *testing.T) {
	m := viewTestMesh()
	for _, tc := range []struct {
		ns        string
		labels    map[string]string
		pub, priv LBKind
	}{
		{"b", nil, LBLeastRequest, ""},
		{"a", nil, LBRandom, LBLeastRequest},
		{"a", map[string]string{"app": "x"}, LBRingHash, LBLeastRequest},
		{"a", map[string]string{"app": "x", "tier": "y"}, LBRingHash, LBRoundRobin},
		{"a", map[string]string{"tier": "y"}, LBMaglev, LBRoundRobin},
	} {
		v := m.ViewFor(tc.ns, tc.labels)
		if got := lbOf(v, "pub.a.svc.cluster.local"); got != tc.pub {
			t.Errorf("%s %v: pub %s, want %s", tc.ns, tc.labels, got, tc.pub)
		}
		if got := lbOf(v, "priv.a.svc.cluster.local"); got != tc.priv {
			t.Errorf("%s %v: priv %s, want %s", tc.ns, tc.labels, got, tc.priv)
		}
		if (v.VirtualHost("priv.a.svc.cluster.local", 80) != nil) != (tc.ns == "a") {
			t.Errorf("%s: routes of priv visible: %v", tc.ns, tc.ns != "a")
		}
	}
}

// One view is built per distinct visibility and reused; the key tells
// views apart.
func TestViewForCachesPerKey(t *testing.T) {
	m := viewTestMesh()
	if m.ViewFor("b", nil) != m.ViewFor("c", map[string]string{"app": "x"}) {
		t.Error("namespaces b and c see the same and should share a view")
	}
	a, ax := m.ViewFor("a", nil), m.ViewFor("a", map[string]string{"app": "x"})
	if a == ax || a.ViewKey() == ax.ViewKey() || a.ViewKey() == m.ViewFor("b", nil).ViewKey() {
		t.Errorf("keys %q, %q, %q must differ", a.ViewKey(), ax.ViewKey(), m.ViewFor("b", nil).ViewKey())
	}
	if ax != m.ViewFor("a", map[string]string{"app": "x", "other": "z"}) {
		t.Error("workloads matching the same rules should share a view")
	}
}
