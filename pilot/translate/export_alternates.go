package translate

import "github.com/weftmesh/weft/pilot/mesh"

// alternates lists, for proxies of ns, the services of shared hosts
// exported to ns other than its picks, in istiod's order, each with its
// routes and clusters as ns sees them: a Sidecar importing a host only from
// another namespace ("web/*") takes that namespace's service, as istiod
// does (mesh/scope_imports.go).
func (t *translator) alternates(ns string, p picks, drs *drIndex) []*mesh.Alternate {
	var out []*mesh.Alternate
	for i, base := range t.m.Services {
		for _, c := range exportOrder(t.shared[base.Hostname], ns) {
			if c != p.svc[i] {
				out = append(out, t.alternate(c, p.vs[i], drs.forService(ns, c)))
			}
		}
	}
	return out
}

func (t *translator) alternate(svc *mesh.Service, vs *boundVS, dr drPick) *mesh.Alternate {
	a := &mesh.Alternate{Service: svc}
	for _, port := range svc.Ports {
		a.VirtualHosts = append(a.VirtualHosts, t.virtualHost(svc, port, vs))
		a.Clusters = append(a.Clusters, clustersFor(svc, port, mergeRules(dr.catchAll))...)
	}
	return a
}

// withAlternates gives v (made when nil) the namespace's alternates.
func withAlternates(v *mesh.View, ns string, alts []*mesh.Alternate) *mesh.View {
	if len(alts) == 0 {
		return v
	}
	if v == nil {
		v = &mesh.View{Namespace: ns}
	}
	v.Alternates = alts
	return v
}
