package translate

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// boundDR is a DestinationRule with its host resolved and exportTo read.
type boundDR struct {
	dr       *networkingv1.DestinationRule
	host     string
	export   exportSet
	selector map[string]string
	// unset: the rule has no exportTo of its own, which istiod treats as
	// visible wherever it is looked up.
	unset bool
}

func (b *boundDR) ref() mesh.Ref {
	return mesh.Ref{Kind: "DestinationRule", Namespace: b.dr.Namespace, Name: b.dr.Name}
}

// drIndex holds the rules the way istiod looks them up for a proxy in
// namespace N and a service in namespace S: rules in N (its own lookup
// pool, public or private), else rules S exports to N, else rules the root
// namespace exports to N. A proxy in the root namespace looks first at the
// root's private rules.
type drIndex struct {
	local     map[string]*hostIndex[*boundDR]
	exported  map[string]*hostIndex[*boundDR]
	rootLocal *hostIndex[*boundDR]
}

func newDRIndex() *drIndex {
	return &drIndex{local: map[string]*hostIndex[*boundDR]{}, exported: map[string]*hostIndex[*boundDR]{},
		rootLocal: newHostIndex[*boundDR]()}
}

// add files a rule, oldest (and selector rules) first. A rule with a
// workloadSelector is private to its namespace, as istiod.
func (idx *drIndex) add(dr *networkingv1.DestinationRule, defaults []string) {
	ns := dr.Namespace
	spec := dr.Spec.GetExportTo()
	b := &boundDR{dr: dr, host: config.ResolveHost(dr.Spec.GetHost(), ns), unset: len(spec) == 0,
		selector: dr.Spec.GetWorkloadSelector().GetMatchLabels()}
	if dr.Spec.GetWorkloadSelector() != nil {
		spec, b.unset = []string{exportPrivate}, false
		if b.selector == nil {
			b.selector = map[string]string{}
		}
	}
	b.export = newExportSet(spec, nil, ns)
	if b.unset || b.export.visibleTo(ns) {
		poolOf(idx.local, ns).add(b.host, b)
	}
	switch {
	case !privateOnly(b, spec, defaults):
		poolOf(idx.exported, ns).add(b.host, b)
	case ns == RootNamespace:
		idx.rootLocal.add(b.host, b)
	}
}

// privateOnly: exportTo "." or the own namespace alone, or no exportTo
// with defaultDestinationRuleExportTo ".". Only "." and "*" of the
// default count, as istiod.
func privateOnly(b *boundDR, spec, defaults []string) bool {
	if b.unset {
		for _, d := range defaults {
			if d == exportPrivate {
				return true
			}
		}
		return false
	}
	return len(spec) == 1 && (spec[0] == exportPrivate || spec[0] == b.dr.Namespace)
}

func poolOf(m map[string]*hostIndex[*boundDR], ns string) *hostIndex[*boundDR] {
	if m[ns] == nil {
		m[ns] = newHostIndex[*boundDR]()
	}
	return m[ns]
}

// drPick is what applies to one host for proxies of one namespace: the
// merged catch-all rules and the rules for selected workloads.
type drPick struct {
	catchAll []*boundDR
	selected []*boundDR
}

// forService looks up the rules for svc from namespace client.
func (idx *drIndex) forService(client string, svc *mesh.Service) drPick {
	if client != RootNamespace {
		if found := idx.local[client].find(svc.Hostname); len(found) > 0 {
			return split(found, client)
		}
	} else if found := idx.rootLocal.lookup(svc.Hostname); len(found) > 0 {
		return split(found, client)
	}
	for _, ns := range []string{svc.Namespace, RootNamespace} {
		if found := exportedTo(idx.exported[ns].find(svc.Hostname), client); len(found) > 0 {
			return split(found, client)
		}
	}
	return drPick{}
}

// find is lookup on a pool that may not exist.
func (h *hostIndex[T]) find(host string) []T {
	if h == nil {
		return nil
	}
	return h.lookup(host)
}

func exportedTo(drs []*boundDR, client string) []*boundDR {
	var out []*boundDR
	for _, b := range drs {
		if b.unset || b.export.visibleTo(client) {
			out = append(out, b)
		}
	}
	return out
}

// split separates selector rules (which apply only in their own
// namespace) from the catch-all ones.
func split(drs []*boundDR, client string) drPick {
	var p drPick
	for _, b := range drs {
		switch {
		case b.selector == nil:
			p.catchAll = append(p.catchAll, b)
		case b.dr.Namespace == client:
			p.selected = append(p.selected, b)
		}
	}
	return p
}

// same reports whether two picks name the same rules.
func (p drPick) same(o drPick) bool {
	return sameRules(p.catchAll, o.catchAll) && sameRules(p.selected, o.selected)
}

func sameRules(a, b []*boundDR) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// noteDR records the namespaces that may pick rules differently: the
// rule's own (its proxies look there first) and those it is exported to.
func (t *translator) noteDR(dr *networkingv1.DestinationRule) {
	t.named[dr.Namespace] = true
	for _, ns := range dr.Spec.GetExportTo() {
		if ns != exportPublic && ns != exportPrivate && ns != exportNone {
			t.named[ns] = true
		}
	}
}
