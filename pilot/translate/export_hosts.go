package translate

import (
	"slices"

	"github.com/weftmesh/weft/pilot/mesh"
)

// Ranks of a service for proxies of one namespace, in the order istiod
// lists the services a namespace sees: its own namespace's exported to it,
// then other namespaces' exported to it by name, then public ones.
const (
	rankOwn = iota
	rankNamed
	rankPublic
	rankHidden
)

func exportRank(s *mesh.Service, ns string) int {
	switch {
	case s.ExportTo == nil:
		return rankPublic
	case !slices.Contains(s.ExportTo, ns):
		return rankHidden
	case s.Namespace == ns:
		return rankOwn
	}
	return rankNamed
}

// pickExported returns the service of a shared host that proxies in ns
// see, nil when none is exported there. istiod (its default Sidecar
// scope, checked over ADS) takes the proxy's own namespace's service when
// one is visible, else a visible Kubernetes Service, else the first
// visible in its list order; within a namespace a Kubernetes Service
// before ServiceEntries. cands are oldest first.
func pickExported(cands []*mesh.Service, ns string) *mesh.Service {
	visible := exportOrder(cands, ns)
	var own []*mesh.Service
	for _, s := range visible {
		if s.Namespace == ns {
			own = append(own, s)
		}
	}
	if len(own) > 0 {
		return kubeOrFirst(own)
	}
	return kubeOrFirst(visible)
}

// exportOrder lists the services visible to ns in istiod's order: by
// rank, oldest first within a rank.
func exportOrder(cands []*mesh.Service, ns string) []*mesh.Service {
	var out []*mesh.Service
	for r := rankOwn; r < rankHidden; r++ {
		for _, s := range cands {
			if exportRank(s, ns) == r {
				out = append(out, s)
			}
		}
	}
	return out
}

// kubeOrFirst keeps a Kubernetes Service's host from being taken over
// by a ServiceEntry, as istiod does.
func kubeOrFirst(list []*mesh.Service) *mesh.Service {
	for _, s := range list {
		if s.Name != "" {
			return s
		}
	}
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

// pickService returns the service of base's host for proxies in ns: base
// itself unless several namespaces define the host.
func (t *translator) pickService(ns string, base *mesh.Service) *mesh.Service {
	cands := t.shared[base.Hostname]
	if cands == nil {
		return base
	}
	return pickExported(cands, ns)
}

// pickSharedBases puts in the mesh, for each shared host, the service a
// namespace no config names sees (else the first), and names the
// namespaces that may see another one, so they get Views.
func (t *translator) pickSharedBases() {
	for i, svc := range t.m.Services {
		cands := t.shared[svc.Hostname]
		if cands == nil {
			continue
		}
		t.m.Services[i] = cands[0]
		if s := pickExported(cands, anyNamespace); s != nil {
			t.m.Services[i] = s
		}
		for _, c := range cands {
			t.named[c.Namespace] = true
			for _, ns := range c.ExportTo {
				t.named[ns] = true
			}
		}
	}
}

// allServices lists the mesh's services and the other services of shared
// hosts.
func (t *translator) allServices() []*mesh.Service {
	out := slices.Clone(t.m.Services)
	for _, cands := range t.shared {
		for _, c := range cands {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}
