package translate

import (
	"slices"
	"sort"

	"github.com/weftmesh/weft/pilot/mesh"
)

// anyNamespace stands for a namespace no config names: it sees only what
// is exported everywhere, and has no rules of its own.
const anyNamespace = ""

// picks are the VirtualService and DestinationRules that apply to each
// service (by its index in the mesh) for proxies of one namespace.
type picks struct {
	svc []*mesh.Service // nil: the host is not exported to the namespace
	vs  []*boundVS
	dr  []drPick
}

func (t *translator) pick(ns string, drs *drIndex, vss *vsIndex) picks {
	n := len(t.m.Services)
	p := picks{svc: make([]*mesh.Service, n), vs: make([]*boundVS, n), dr: make([]drPick, n)}
	for i, svc := range t.m.Services {
		p.svc[i] = t.pickService(ns, svc)
		if p.svc[i] != nil {
			svc = p.svc[i]
		}
		p.vs[i] = vss.forHost(ns, svc.Hostname)
		p.dr[i] = drs.forService(ns, svc)
	}
	return p
}

// views builds a View for each named namespace whose picks differ from
// the default, so a mesh where everything is exported everywhere and each
// rule sits in its service's namespace has none.
func (t *translator) views(def picks, drs *drIndex, vss *vsIndex) map[string]*mesh.View {
	var out map[string]*mesh.View
	names := make([]string, 0, len(t.named))
	for ns := range t.named {
		names = append(names, ns)
	}
	slices.Sort(names)
	for _, ns := range names {
		p := t.pick(ns, drs, vss)
		if v := withAlternates(t.viewOf(ns, def, p), ns, t.alternates(ns, p, drs)); v != nil {
			if out == nil {
				out = map[string]*mesh.View{}
			}
			out[ns] = v
		}
	}
	return out
}

func (t *translator) viewOf(ns string, def, p picks) *mesh.View {
	v := &mesh.View{Namespace: ns}
	selected := map[*drEntry]*mesh.SelectedRule{}
	for h, svc := range t.m.Services {
		if p.svc[h] == nil {
			continue // another namespace's service, not exported here
		}
		changedSvc := p.svc[h] != svc
		if changedSvc {
			svc = p.svc[h]
			v.Services = append(v.Services, svc)
		}
		changedVS := changedSvc || p.vs[h] != def.vs[h]
		changedDR := changedSvc || !sameRules(p.dr[h].catchAll, def.dr[h].catchAll)
		for _, port := range svc.Ports {
			if changedVS {
				v.VirtualHosts = append(v.VirtualHosts, t.virtualHost(svc, port, p.vs[h]))
			}
			if changedDR {
				v.Clusters = append(v.Clusters, clustersFor(svc, port, mergeRules(p.dr[h].catchAll))...)
			}
			for _, e := range p.dr[h].selected {
				s := selectedRule(selected, e)
				cs := clustersFor(svc, port, mergeRules(e.rules))
				markSelected(cs)
				s.Clusters = append(s.Clusters, cs...)
			}
		}
	}
	v.Selected = orderSelected(selected)
	if len(v.Services)+len(v.VirtualHosts)+len(v.Clusters)+len(v.Selected) == 0 {
		return nil
	}
	return v
}

func selectedRule(m map[*drEntry]*mesh.SelectedRule, e *drEntry) *mesh.SelectedRule {
	if m[e] == nil {
		m[e] = &mesh.SelectedRule{Ref: e.first().ref(), Selector: e.selector}
	}
	return m[e]
}

// orderSelected lists selector rules oldest first, as istiod tries them.
func orderSelected(m map[*drEntry]*mesh.SelectedRule) []*mesh.SelectedRule {
	keys := make([]*drEntry, 0, len(m))
	for e := range m {
		keys = append(keys, e)
	}
	sort.Slice(keys, func(i, j int) bool { return older(keys[i].first().dr, keys[j].first().dr) })
	out := make([]*mesh.SelectedRule, 0, len(keys))
	for _, b := range keys {
		out = append(out, m[b])
	}
	return out
}
