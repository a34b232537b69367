package translate

import (
	"slices"
	"strings"

	"istio.io/api/annotation"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/mesh"
)

// Options are the MeshConfig settings translation follows.
type Options struct {
	// Default*ExportTo are MeshConfig defaultVirtualServiceExportTo,
	// defaultDestinationRuleExportTo and defaultServiceExportTo: the
	// visibility of config that sets no exportTo. Empty means "*", as Istio.
	DefaultVirtualServiceExportTo  []string
	DefaultDestinationRuleExportTo []string
	DefaultServiceExportTo         []string
	// LocalityLB is MeshConfig localityLbSetting, the mesh-wide default a
	// DestinationRule's own setting replaces (meshconfig_fields.go).
	LocalityLB *networking.LocalityLoadBalancerSetting
	// RegistryOnly is MeshConfig outboundTrafficPolicy mode REGISTRY_ONLY:
	// the default of proxies whose Sidecar sets no outboundTrafficPolicy.
	RegistryOnly bool
	// TrustDomain names workload identities; empty is cluster.local.
	// TrustDomainAliases are MeshConfig's, for bootstrap to accept.
	TrustDomain        string
	TrustDomainAliases []string
	// Unread lists the MeshConfig fields set that weft does not act on, for
	// the caller to warn about once.
	Unread []string
}

// Visibility words of exportTo, as Istio spells them.
const (
	exportPublic  = "*"
	exportPrivate = "."
	exportNone    = "~"
)

// exportSet is an exportTo list resolved for its owner namespace: "." is
// the owner, "*" every namespace, "~" none.
type exportSet struct {
	public bool
	ns     map[string]bool
}

// newExportSet resolves list, or defaults when the list is empty.
func newExportSet(list, defaults []string, owner string) exportSet {
	if len(list) == 0 {
		list = defaults
	}
	if len(list) == 0 {
		return exportSet{public: true}
	}
	e := exportSet{ns: map[string]bool{}}
	for _, x := range list {
		switch x {
		case exportPublic:
			e.public = true
		case exportPrivate:
			e.ns[owner] = true
		case exportNone:
		default:
			e.ns[x] = true
		}
	}
	return e
}

func (e exportSet) visibleTo(ns string) bool { return e.public || e.ns[ns] }

// namespaces lists what a restricted set names, sorted; nil when public.
func (e exportSet) namespaces() []string {
	if e.public {
		return nil
	}
	out := make([]string, 0, len(e.ns))
	for ns := range e.ns {
		out = append(out, ns)
	}
	slices.Sort(out)
	if len(out) == 0 {
		return []string{exportNone}
	}
	return out
}

// overlaps reports whether some namespace sees both sets.
func (e exportSet) overlaps(o exportSet) bool {
	if e.public || o.public {
		return e.public || len(e.ns) > 0 || len(o.ns) > 0
	}
	for ns := range e.ns {
		if o.ns[ns] {
			return true
		}
	}
	return false
}

// serviceExports sets each service's exportTo: a Kubernetes Service's
// networking.istio.io/exportTo annotation (comma-separated) or a
// ServiceEntry's spec.exportTo, else defaultServiceExportTo.
func (t *translator) serviceExports() {
	kube := map[string][]string{}
	for _, s := range t.snap.Services {
		if v, ok := s.Annotations[annotation.NetworkingExportTo.Name]; ok {
			kube[s.Namespace+"/"+s.Name] = splitList(v)
		}
	}
	for _, svc := range t.allServices() {
		list := kube[svc.Namespace+"/"+svc.Name]
		if svc.Name == "" {
			list = serviceEntryExport(t.snap.ServiceEntries, svc)
		}
		svc.ExportTo = newExportSet(list, t.opts.DefaultServiceExportTo, svc.Namespace).namespaces()
	}
}

// serviceEntryExport finds the exportTo of the ServiceEntry a service came from.
func serviceEntryExport(ses []*networkingv1.ServiceEntry, svc *mesh.Service) []string {
	for _, se := range ses {
		if se.Namespace == svc.Namespace && slices.Contains(se.Spec.GetHosts(), svc.Hostname) {
			return se.Spec.GetExportTo()
		}
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// noteNamed records the namespaces an exportTo set names, which may see
// config other namespaces do not and so may need their own View.
func (t *translator) noteNamed(owner string, e exportSet) {
	if !e.public {
		t.named[owner] = true
	}
	for ns := range e.ns {
		t.named[ns] = true
	}
}
