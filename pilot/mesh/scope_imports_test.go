package mesh

import "testing"

// A Sidecar importing hosts only from other namespaces takes the service
// of an imported namespace, as istiod's scope does: the pick while the
// Sidecar sees it, else a Kubernetes Service, else the first alternate.
func TestScopeImportsAlternates(t *testing.T) {
	const host = "api.example.com"
	own := &Service{Hostname: host, Namespace: "rating"}
	webEntry := &Service{Hostname: host, Namespace: "web"}
	shopEntry := &Service{Hostname: host, Namespace: "shop"}
	kube := &Service{Hostname: host, Namespace: "shop", Name: "api"}
	scope := func(ns ...string) *Scope {
		s := &Scope{}
		for _, n := range ns {
			s.Hosts = append(s.Hosts, HostPattern{Namespace: n, Host: "*"})
		}
		return s
	}
	for _, tt := range []struct {
		name  string
		alts  []*Service
		scope *Scope
		want  *Service
	}{
		{"pick seen", []*Service{webEntry}, scope("rating", "web"), nil},
		{"named namespace", []*Service{webEntry, shopEntry}, scope("web"), webEntry},
		{"first of several", []*Service{webEntry, shopEntry}, scope("shop", "web"), webEntry},
		{"kubernetes service first", []*Service{webEntry, kube}, scope("shop", "web"), kube},
		{"nothing imported", []*Service{webEntry}, scope("other"), nil},
	} {
		m := &Mesh{Services: []*Service{own}}
		for _, a := range tt.alts {
			m.Alternates = append(m.Alternates, &Alternate{Service: a})
		}
		m.Index()
		got := m.imports(tt.scope)[host]
		if (got == nil) != (tt.want == nil) || (got != nil && got.Service != tt.want) {
			t.Errorf("%s: imported %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
