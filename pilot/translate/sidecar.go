package translate

import (
	"sort"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/mesh"
)

// sidecarScopes turns Sidecar resources into scopes: egress hosts,
// outbound traffic policy, ingress listeners and inbound pools.
func (t *translator) sidecarScopes() *mesh.Scopes {
	out := &mesh.Scopes{RootNamespace: RootNamespace, ByNamespace: map[string][]*mesh.Scope{}}
	sidecars := append([]*networkingv1.Sidecar(nil), t.snap.Sidecars...)
	sort.SliceStable(sidecars, func(i, j int) bool { return older(sidecars[i], sidecars[j]) })
	for _, sc := range sidecars {
		if s := t.sidecarScope(sc); s != nil {
			out.ByNamespace[sc.Namespace] = append(out.ByNamespace[sc.Namespace], s)
		}
	}
	for _, scopes := range out.ByNamespace {
		// A selector is more specific than the namespace default; age breaks ties.
		sort.SliceStable(scopes, func(i, j int) bool { return scopes[i].Selector != nil && scopes[j].Selector == nil })
	}
	t.meshOutboundDefault(out)
	return out
}

func (t *translator) sidecarScope(sc *networkingv1.Sidecar) *mesh.Scope {
	ref := mesh.Ref{Kind: "Sidecar", Namespace: sc.Namespace, Name: sc.Name}
	s := &mesh.Scope{Ref: ref}
	if sel := sc.Spec.GetWorkloadSelector().GetLabels(); len(sel) > 0 {
		s.Selector = sel
	}
	// REGISTRY_ONLY is the enum's zero value: only a set policy can mean it.
	s.RegistryOnly = t.opts.RegistryOnly // MeshConfig's unless the Sidecar sets its own
	if tp := sc.Spec.GetOutboundTrafficPolicy(); tp != nil {
		s.RegistryOnly = tp.GetMode() == networking.OutboundTrafficPolicy_REGISTRY_ONLY
	}
	t.sidecarIngress(ref, &sc.Spec, s)
	egress := sc.Spec.GetEgress()
	if len(egress) == 0 {
		// istiod still selects the Sidecar (it shadows the root default) and
		// imports every namespace's services: "*/*".
		egress = []*networking.IstioEgressListener{{Hosts: []string{"*/*"}}}
	}
	t.sidecarEgress(ref, egress, sc.Namespace, s)
	s.EgressProxy = t.egressProxy(ref, sc.Spec.GetOutboundTrafficPolicy(), s)
	return s
}

// hostPattern reads "namespace/dnsName"; "." is the Sidecar's namespace,
// except in the root namespace: there the Sidecar is every namespace's
// default and "." means the proxy's own namespace (bound per proxy).
// Validation has rejected entries without a namespace part.
func hostPattern(h, namespace string) mesh.HostPattern {
	ns, host, ok := strings.Cut(h, "/")
	if !ok {
		ns, host = "*", h
	}
	if ns == mesh.OwnNamespace && namespace != RootNamespace {
		ns = namespace
	}
	return mesh.HostPattern{Namespace: ns, Host: host}
}
