package xds

import "github.com/weftmesh/weft/pilot/mesh"

// RoutesFor returns the rules of vh that apply to traffic from p: matches
// on another port, other source labels or another source namespace are
// removed, and a rule left with no match is dropped.
func RoutesFor(vh *mesh.VirtualHost, p *Proxy) []*mesh.HTTPRoute {
	out := make([]*mesh.HTTPRoute, 0, len(vh.HTTPRoutes))
	for _, r := range vh.HTTPRoutes {
		if len(r.Matches) == 0 {
			out = append(out, r)
			continue
		}
		kept := make([]mesh.Match, 0, len(r.Matches))
		for _, m := range r.Matches {
			if matchApplies(m.Port, m.SourceLabels, m.SourceNamespace, vh.Port.Number, p) {
				kept = append(kept, m)
			}
		}
		if len(kept) == 0 {
			continue
		}
		if len(kept) < len(r.Matches) {
			cp := *r
			cp.Matches = kept
			r = &cp
		}
		out = append(out, r)
	}
	return out
}

// TCPRoutesFor returns the first tcp rule of vh that applies to p.
func TCPRoutesFor(vh *mesh.VirtualHost, p *Proxy) *mesh.TCPRoute {
	for _, r := range vh.TCPRoutes {
		if matchApplies(r.Port, r.SourceLabels, r.SourceNamespace, vh.Port.Number, p) {
			return r
		}
	}
	return nil
}

func matchApplies(port uint32, labels map[string]string, ns string, listenerPort uint32, p *Proxy) bool {
	if port != 0 && port != listenerPort {
		return false
	}
	if ns != "" && ns != p.Namespace {
		return false
	}
	return mesh.LabelsMatch(labels, p.Labels)
}

// Instance is one service port the proxy's own workload serves.
type Instance = mesh.Instance

// InstancesOf finds the service ports backed by an endpoint at the proxy's IP.
func InstancesOf(m *mesh.Mesh, p *Proxy) []Instance {
	if p.IP == "" {
		return nil
	}
	return m.InstancesAt(p.IP)
}
