package mesh

// A host several namespaces define is one service per proxy namespace
// (Views), but a Sidecar may import hosts only from named namespaces
// ("web/*"). istiod then takes the service of a namespace the Sidecar
// imports: its scope keeps, per host, the imported service it prefers
// (the proxy's pick when imported, else a Kubernetes Service, else the
// first exported to the namespace). Alternates hold the others.

// Alternate is a service of a shared host exported to a namespace but not
// its pick, with its routes and clusters as that namespace sees them.
type Alternate struct {
	Service      *Service
	VirtualHosts []*VirtualHost
	Clusters     []*Cluster
}

// imports maps each host whose pick s does not see to the alternate it
// imports instead.
func (m *Mesh) imports(s *Scope) map[string]*Alternate {
	var out map[string]*Alternate
	for _, a := range m.Alternates {
		svc := a.Service
		if pick := m.byHost[svc.Hostname]; (pick != nil && s.Sees(pick)) || !s.Sees(svc) {
			continue
		}
		if cur := out[svc.Hostname]; cur != nil && (cur.Service.Name != "" || svc.Name == "") {
			continue // the first seen wins, save that a Kubernetes Service beats entries
		}
		if out == nil {
			out = map[string]*Alternate{}
		}
		out[svc.Hostname] = a
	}
	return out
}

// scopedVirtualHosts keeps the routes s sees: an imported alternate's in
// place of its host's pick.
func scopedVirtualHosts(s *Scope, base []*VirtualHost, imports map[string]*Alternate) []*VirtualHost {
	var out []*VirtualHost
	done := map[*Alternate]bool{}
	for _, vh := range base {
		a := imports[vh.Service.Hostname]
		switch {
		case a == nil:
			if s.SeesPort(vh.Service, vh.Port.Number) {
				out = append(out, vh)
			}
		case !done[a]:
			done[a] = true
			for _, avh := range a.VirtualHosts {
				if s.SeesPort(avh.Service, avh.Port.Number) {
					out = append(out, avh)
				}
			}
		}
	}
	return out
}

// scopedClusters keeps the clusters s sees: an imported alternate's in
// place of its host's pick.
func scopedClusters(s *Scope, base []*Cluster, imports map[string]*Alternate) []*Cluster {
	var out []*Cluster
	done := map[*Alternate]bool{}
	for _, c := range base {
		a := imports[c.Key.Host]
		switch {
		case a == nil:
			if c.Service == nil || s.SeesCluster(c.Service, c.Port.Number) {
				out = append(out, c)
			}
		case !done[a]:
			done[a] = true
			for _, ac := range a.Clusters {
				if ac.Service == nil || s.SeesCluster(ac.Service, ac.Port.Number) {
					out = append(out, ac)
				}
			}
		}
	}
	return out
}
