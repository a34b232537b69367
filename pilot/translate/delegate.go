package translate

import (
	"maps"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// Delegation (VirtualService http[].delegate): a rule hands its traffic to
// a VirtualService without hosts, whose rules are merged under the rule's
// match as istiod merges them. Istio's reference: "The delegate
// VirtualService ... Only one level delegation is supported. The
// delegate's HTTPMatchRequest must be a strict subset of the root's,
// otherwise there is a conflict and the HTTPRoute will not take effect."

// delegates indexes the VirtualServices without hosts by namespace/name.
func (t *translator) indexDelegate(vs *networkingv1.VirtualService) {
	b := &boundVS{vs: vs, ref: mesh.Ref{Kind: "VirtualService", Namespace: vs.Namespace, Name: vs.Name},
		export: newExportSet(vs.Spec.GetExportTo(), t.opts.DefaultVirtualServiceExportTo, vs.Namespace)}
	t.delegates[vs.Namespace+"/"+vs.Name] = b
}

// delegateOf returns the delegate a root rule names, when it exists and is
// exported to the root's namespace; istiod drops the rule otherwise.
func (t *translator) delegateOf(root *boundVS, d *networking.Delegate) *boundVS {
	ns := d.GetNamespace()
	if ns == "" {
		ns = root.vs.Namespace
	}
	b := t.delegates[ns+"/"+d.GetName()]
	if b == nil || !b.export.visibleTo(root.vs.Namespace) {
		return nil
	}
	return b
}

// checkDelegates reports, once per root, delegates that are missing or not
// exported to the root's namespace: their rules are left out, as istiod.
func (t *translator) checkDelegates(roots []boundVS) {
	for _, root := range roots {
		for i, r := range root.vs.Spec.GetHttp() {
			d := r.GetDelegate()
			if d == nil {
				continue
			}
			if b := t.delegateOf(&root, d); b != nil {
				t.checkDelegateMatches(&root, i, b)
				continue
			}
			ns := d.GetNamespace()
			if ns == "" {
				ns = root.vs.Namespace
			}
			msg := "delegate VirtualService " + ns + "/" + d.GetName() + " not found: the rule is left out"
			if t.delegates[ns+"/"+d.GetName()] != nil {
				msg = "delegate VirtualService " + ns + "/" + d.GetName() + " is not exported to namespace " + root.vs.Namespace + ": the rule is left out"
			}
			t.warn(root.ref, mesh.ReasonReferenceNotFound, fieldIndex("spec.http", i)+".delegate", msg)
		}
	}
}

// checkDelegateMatches reports delegate rules whose matches fit none of
// the root rule's, once per root rule.
func (t *translator) checkDelegateMatches(root *boundVS, i int, d *boundVS) {
	for j, sub := range d.vs.Spec.GetHttp() {
		if _, ok := mergeMatches(root.vs.Spec.GetHttp()[i].GetMatch(), sub.GetMatch()); !ok {
			t.warn(d.ref, mesh.ReasonDelegateConflict, fieldIndex("spec.http", j)+".match",
				"outside the match of "+root.ref.String()+" spec.http["+itoa(i)+"], which delegates here: the rule is left out there")
		}
	}
}

// delegated converts a delegating rule: the delegate's rules, each under
// the root rule's matches and inheriting what it leaves unset. A delegate
// rule whose matches fit none of the root's is left out.
func (c converter) delegated(r *networking.HTTPRoute, i int) []*mesh.HTTPRoute {
	d := c.t.delegateOf(c.vs, r.GetDelegate())
	if d == nil {
		return nil
	}
	root := proto.Clone(r).(*networking.HTTPRoute)
	resolveMirrors(root, c.vs.vs.Namespace) // the root's hosts are the root namespace's
	dc := converter{t: c.t, vs: d}
	var out []*mesh.HTTPRoute
	for j, sub := range d.vs.Spec.GetHttp() {
		merged := mergeDelegated(root, sub)
		if merged == nil || merged.GetDelegate() != nil {
			continue
		}
		route := dc.httpRoute(merged, j)
		route.Origin = c.origin(i) + ">" + route.Origin
		out = append(out, route)
	}
	return out
}

func (c converter) origin(i int) string {
	return c.vs.vs.Namespace + "/" + c.vs.vs.Name + ".http[" + itoa(i) + "]"
}

func resolveMirrors(r *networking.HTTPRoute, ns string) {
	if m := r.GetMirror(); m != nil {
		m.Host = config.ResolveHost(m.GetHost(), ns)
	}
	for _, m := range r.GetMirrors() {
		if d := m.GetDestination(); d != nil {
			d.Host = config.ResolveHost(d.GetHost(), ns)
		}
	}
}

// mergeDelegated is a delegate rule under root, or nil on a match conflict.
// The delegate's settings win; those it leaves unset come from the root.
func mergeDelegated(root, sub *networking.HTTPRoute) *networking.HTTPRoute {
	matches, ok := mergeMatches(root.GetMatch(), sub.GetMatch())
	if !ok {
		return nil
	}
	out := proto.Clone(sub).(*networking.HTTPRoute)
	out.Match = matches
	out.Name = joinName(root.GetName(), sub.GetName())
	inherit(&out.Rewrite, root.Rewrite)
	inherit(&out.DirectResponse, root.DirectResponse)
	inherit(&out.Timeout, root.Timeout)
	inherit(&out.Retries, root.Retries)
	inherit(&out.Fault, root.Fault)
	inherit(&out.Mirror, root.Mirror)
	//lint:ignore SA1019 Istio still honours mirrorPercent, and so must weft.
	inherit(&out.MirrorPercent, root.MirrorPercent)
	inherit(&out.MirrorPercentage, root.MirrorPercentage)
	inherit(&out.CorsPolicy, root.CorsPolicy)
	inherit(&out.Headers, root.Headers)
	if out.Mirrors == nil {
		out.Mirrors = root.Mirrors
	}
	return out
}

func inherit[T any](field **T, root *T) {
	if *field == nil {
		*field = root
	}
}

// joinName names a merged rule or match "root-delegate", as istiod.
func joinName(root, sub string) string {
	switch {
	case sub == "":
		return root
	case root == "":
		return sub
	}
	return root + "-" + sub
}

// mergeMatches puts each delegate match under every root match it does
// not conflict with; a delegate match fitting none is a conflict.
func mergeMatches(root, sub []*networking.HTTPMatchRequest) ([]*networking.HTTPMatchRequest, bool) {
	if len(root) == 0 {
		return sub, true
	}
	if len(sub) == 0 {
		return root, true
	}
	var out []*networking.HTTPMatchRequest
	for _, s := range sub {
		found := false
		for _, r := range root {
			if !matchConflict(r, s) {
				out = append(out, mergeMatch(r, s))
				found = true
			}
		}
		if !found {
			return nil, false
		}
	}
	return out, len(out) > 0
}

// mergeMatch is the conjunction of a root and a delegate match; where both
// set a header, query parameter or source label, the delegate's wins.
func mergeMatch(root, sub *networking.HTTPMatchRequest) *networking.HTTPMatchRequest {
	out := proto.Clone(sub).(*networking.HTTPMatchRequest)
	out.Name = joinName(root.GetName(), sub.GetName())
	inherit(&out.Uri, root.Uri)
	inherit(&out.Scheme, root.Scheme)
	inherit(&out.Method, root.Method)
	inherit(&out.Authority, root.Authority)
	out.Headers = mergeMaps(root.GetHeaders(), sub.GetHeaders())
	out.WithoutHeaders = mergeMaps(root.GetWithoutHeaders(), sub.GetWithoutHeaders())
	out.QueryParams = mergeMaps(root.GetQueryParams(), sub.GetQueryParams())
	out.SourceLabels = mergeMaps(root.GetSourceLabels(), sub.GetSourceLabels())
	if out.Port == 0 {
		out.Port = root.GetPort()
	}
	if out.SourceNamespace == "" {
		out.SourceNamespace = root.GetSourceNamespace()
	}
	if len(out.Gateways) == 0 {
		out.Gateways = root.GetGateways()
	}
	if out.StatPrefix == "" {
		out.StatPrefix = root.GetStatPrefix()
	}
	return out
}

func mergeMaps[V any](root, sub map[string]V) map[string]V {
	if len(root)+len(sub) == 0 {
		return nil
	}
	out := maps.Clone(root)
	if out == nil {
		out = map[string]V{}
	}
	maps.Copy(out, sub)
	return out
}

// matchConflict reports whether a delegate match asks for something the
// root match excludes, so it cannot be narrowed under it.
func matchConflict(root, sub *networking.HTTPMatchRequest) bool {
	pairs := [][2]*networking.StringMatch{{root.GetUri(), sub.GetUri()}, {root.GetScheme(), sub.GetScheme()},
		{root.GetMethod(), sub.GetMethod()}, {root.GetAuthority(), sub.GetAuthority()}}
	for _, p := range pairs {
		if stringConflict(p[0], p[1]) {
			return true
		}
	}
	if mapConflict(root.GetHeaders(), sub.GetHeaders()) || mapConflict(root.GetWithoutHeaders(), sub.GetWithoutHeaders()) ||
		mapConflict(root.GetQueryParams(), sub.GetQueryParams()) {
		return true
	}
	return root.GetIgnoreUriCase() != sub.GetIgnoreUriCase() ||
		(root.GetPort() > 0 && sub.GetPort() > 0 && root.GetPort() != sub.GetPort()) ||
		(root.GetSourceNamespace() != "" && sub.GetSourceNamespace() != root.GetSourceNamespace()) ||
		labelConflict(root.GetSourceLabels(), sub.GetSourceLabels()) ||
		gatewayConflict(root.GetGateways(), sub.GetGateways())
}

func mapConflict(root, sub map[string]*networking.StringMatch) bool {
	for k, v := range sub {
		if stringConflict(root[k], v) {
			return true
		}
	}
	return false
}

func labelConflict(root, sub map[string]string) bool {
	for k, v := range sub {
		if rv, ok := root[k]; ok && rv != v {
			return true
		}
	}
	return false
}

// gatewayConflict: a delegate may only narrow the root's gateways.
func gatewayConflict(root, sub []string) bool {
	if len(root) == 0 || len(sub) == 0 {
		return false
	}
	for _, g := range sub {
		if !slices.Contains(root, g) {
			return true
		}
	}
	return false
}

// stringConflict: the delegate's condition must lie within the root's —
// the same exact value, or an exact or prefix value under the root's
// prefix. Regular expressions cannot be compared, so one on either side
// of a condition both set conflicts.
func stringConflict(root, sub *networking.StringMatch) bool {
	if root == nil || sub == nil {
		return false
	}
	if sub.GetRegex() != "" {
		return true
	}
	if exact := root.GetExact(); exact != "" {
		return sub.GetExact() != exact
	}
	if prefix := root.GetPrefix(); prefix != "" {
		if p := sub.GetPrefix(); p != "" {
			return !strings.HasPrefix(p, prefix)
		}
		if e := sub.GetExact(); e != "" {
			return !strings.HasPrefix(e, prefix)
		}
	}
	return true
}
