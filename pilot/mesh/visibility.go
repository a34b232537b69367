package mesh

import (
	"slices"
	"strings"
	"sync"
)

// View is what proxies in one namespace see differently from the mesh's
// default, the view of a namespace no config names: exportTo and
// DestinationRule precedence (client namespace, then the service's, then
// the root namespace) pick other VirtualServices or policies there.
// Translation makes a View only where the picks differ.
type View struct {
	Namespace string
	// Services replace the mesh's service of the same host: another
	// namespace's ServiceEntry for it is the one exported here (Istio keys
	// services by host and namespace). Their routes and clusters are in
	// VirtualHosts and Clusters.
	Services []*Service
	// VirtualHosts replace the mesh's for the same host and port.
	VirtualHosts []*VirtualHost
	// Clusters replace every cluster of the hosts they name.
	Clusters []*Cluster
	// Selected are the namespace's DestinationRules with a workloadSelector,
	// oldest first: for a workload, the first one selecting it that names a
	// host replaces that host's clusters.
	Selected []*SelectedRule
	// Alternates are the other services of shared hosts exported to the
	// namespace that its picks pass over (scope_imports.go).
	Alternates []*Alternate
}

// SelectedRule is a DestinationRule that applies only to the workloads its
// selector matches, in its own namespace.
type SelectedRule struct {
	Ref      Ref
	Selector map[string]string
	Clusters []*Cluster
}

// VisibleTo reports whether proxies in namespace ns may see the service:
// its exportTo (nil: every namespace) names ns.
func (s *Service) VisibleTo(ns string) bool {
	return s.ExportTo == nil || slices.Contains(s.ExportTo, ns)
}

// viewCache holds the meshes ViewFor built, per view key.
type viewCache struct {
	mu    sync.Mutex
	views map[string]*Mesh
}

// ViewKey names the visibility of a mesh ViewFor returned; "" is the whole
// mesh. Shared-config keys include it, so views never share resources.
func (m *Mesh) ViewKey() string { return m.viewKey }

// ViewFor returns the mesh as workloads in namespace with labels see it:
// only services exported to the namespace, and the namespace's own
// routing and policy picks. Without exportTo restrictions or a View for
// the namespace it is m itself; otherwise it is built once per distinct
// visibility, not per proxy.
func (m *Mesh) ViewFor(namespace string, labels map[string]string) *Mesh {
	v := m.Views[namespace]
	sel := v.selectedFor(labels)
	if v == nil && len(m.restricted) == 0 {
		return m
	}
	key := m.viewKeyFor(namespace, v, sel)
	m.views.mu.Lock()
	defer m.views.mu.Unlock()
	if out, ok := m.views.views[key]; ok {
		return out
	}
	out := m.buildView(namespace, v, sel, key)
	if m.views.views == nil {
		m.views.views = map[string]*Mesh{}
	}
	m.views.views[key] = out
	return out
}

// viewKeyFor names a view by what makes it differ: the namespace's View
// and selected rules, and which restricted services it sees. Namespaces
// without a View seeing the same services share one.
func (m *Mesh) viewKeyFor(namespace string, v *View, sel []*SelectedRule) string {
	var b strings.Builder
	if v != nil {
		b.WriteString("ns=" + namespace)
	}
	for _, s := range sel {
		b.WriteString(" dr=" + s.Ref.Name)
	}
	b.WriteString(" svc=")
	for _, s := range m.restricted {
		if s.VisibleTo(namespace) {
			b.WriteString(s.Hostname + ",")
		}
	}
	return b.String()
}

// selectedFor returns the selector rules matching labels, oldest first.
func (v *View) selectedFor(labels map[string]string) []*SelectedRule {
	if v == nil {
		return nil
	}
	var out []*SelectedRule
	for _, s := range v.Selected {
		if LabelsMatch(s.Selector, labels) {
			out = append(out, s)
		}
	}
	return out
}

func (m *Mesh) buildView(namespace string, v *View, sel []*SelectedRule, key string) *Mesh {
	out := &Mesh{Version: m.Version, Diagnostics: m.Diagnostics, Workloads: m.Workloads, PeerAuthn: m.PeerAuthn,
		TrustDomain: m.TrustDomain, Scopes: m.Scopes.fresh(), LocalityLB: m.LocalityLB, viewKey: key,
		Alternates: m.Alternates}
	if v != nil {
		out.Alternates = v.Alternates
	}
	out.Services = viewServices(m.Services, v, namespace)
	out.VirtualHosts = viewVirtualHosts(m.VirtualHosts, v, namespace)
	out.Clusters = viewClusters(m.Clusters, v, sel, namespace)
	out.Index()
	out.byIP = m.byIP // a proxy serves its ports whatever it may call
	return out
}

// viewServices lists the services namespace sees: the View's own for a
// host, else the mesh's when exported there.
func viewServices(base []*Service, v *View, namespace string) []*Service {
	replaced := v.replacedHosts()
	var out []*Service
	for _, s := range base {
		if r := replaced[s.Hostname]; r != nil {
			out = append(out, r)
		} else if s.VisibleTo(namespace) {
			out = append(out, s)
		}
	}
	return out
}

// replacedHosts maps each host whose service the View replaces to its own.
func (v *View) replacedHosts() map[string]*Service {
	if v == nil || len(v.Services) == 0 {
		return nil
	}
	out := make(map[string]*Service, len(v.Services))
	for _, s := range v.Services {
		out[s.Hostname] = s
	}
	return out
}

// viewVirtualHosts overlays the View's routes on the mesh's; a host whose
// service the View replaces keeps only the View's ports.
func viewVirtualHosts(base []*VirtualHost, v *View, namespace string) []*VirtualHost {
	over := map[hostPort]*VirtualHost{}
	replaced := v.replacedHosts()
	var out []*VirtualHost
	if v != nil {
		for _, vh := range v.VirtualHosts {
			over[hostPort{vh.Service.Hostname, vh.Port.Number}] = vh
			if replaced[vh.Service.Hostname] != nil {
				out = append(out, vh)
			}
		}
	}
	for _, vh := range base {
		if replaced[vh.Service.Hostname] != nil || !vh.Service.VisibleTo(namespace) {
			continue
		}
		if o := over[hostPort{vh.Service.Hostname, vh.Port.Number}]; o != nil {
			vh = o
		}
		out = append(out, vh)
	}
	return out
}

// viewClusters replaces the clusters of each host a View or selected rule
// names with theirs: a selected rule wins over the View, an older selected
// rule over a newer one.
func viewClusters(base []*Cluster, v *View, sel []*SelectedRule, namespace string) []*Cluster {
	layers := [][]*Cluster{base}
	if v != nil {
		layers = append(layers, v.Clusters)
	}
	for i := len(sel) - 1; i >= 0; i-- {
		layers = append(layers, sel[i].Clusters)
	}
	owner := map[string]int{} // host → layer whose clusters it keeps
	for i, l := range layers {
		for _, c := range l {
			owner[c.Key.Host] = i
		}
	}
	var out []*Cluster
	for i, l := range layers {
		for _, c := range l {
			if owner[c.Key.Host] == i && (c.Service == nil || c.Service.VisibleTo(namespace)) {
				out = append(out, c)
			}
		}
	}
	return out
}

// fresh copies the Sidecar resources with empty caches, for a view whose
// Scoped meshes must not mix with the whole mesh's.
func (sc *Scopes) fresh() *Scopes {
	if sc == nil {
		return nil
	}
	return &Scopes{RootNamespace: sc.RootNamespace, ByNamespace: sc.ByNamespace}
}

// indexVisibility notes the services not exported everywhere, which make
// ViewFor build per-namespace views.
func (m *Mesh) indexVisibility() {
	m.restricted = nil
	for _, s := range m.Services {
		if s.ExportTo != nil {
			m.restricted = append(m.restricted, s)
		}
	}
	if m.views == nil {
		m.views = &viewCache{}
	}
}

// indexSharedInstances adds the ports the Views' own services have at an
// IP no mesh service serves on that port: a workload serves its ports
// whichever namespace's service of a host the mesh shows by default.
func (m *Mesh) indexSharedInstances() {
	for _, ns := range sortedViewNames(m.Views) {
		for _, s := range m.Views[ns].Services {
			for _, port := range s.Ports {
				for _, ep := range s.Endpoints[port.Number] {
					if !m.servesPort(ep.Address, port.Number) {
						m.byIP[ep.Address] = append(m.byIP[ep.Address], Instance{Service: s, Port: port, TargetPort: ep.Port})
					}
				}
			}
		}
	}
}

func (m *Mesh) servesPort(ip string, port uint32) bool {
	for _, in := range m.byIP[ip] {
		if in.Port.Number == port {
			return true
		}
	}
	return false
}

func sortedViewNames(views map[string]*View) []string {
	out := make([]string, 0, len(views))
	for ns := range views {
		out = append(out, ns)
	}
	slices.Sort(out)
	return out
}
