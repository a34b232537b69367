package translate

import (
	"maps"
	"slices"

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

// drEntry is rules istiod consolidates into one for a host pattern: those
// of one namespace with equal exportTo (and equal selectors, or none).
type drEntry struct {
	rules    []*boundDR // oldest first
	exportTo []string   // the first rule's exportTo as written
	selector map[string]string
}

func (e *drEntry) first() *boundDR { return e.rules[0] }

// drIndex holds the rules the way istiod looks them up for a proxy in
// namespace N and a service in namespace S: rules in N (its own lookup
// pool, public or private), else rules S exports to N, else rules the root
// namespace exports to N. A proxy in the root namespace looks first at the
// root's private rules.
type drIndex struct {
	local     map[string]*hostIndex[*drEntry]
	exported  map[string]*hostIndex[*drEntry]
	rootLocal *hostIndex[*drEntry]
}

func newDRIndex() *drIndex {
	return &drIndex{local: map[string]*hostIndex[*drEntry]{}, exported: map[string]*hostIndex[*drEntry]{},
		rootLocal: newHostIndex[*drEntry]()}
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
		consolidate(poolOf(idx.local, ns), b, spec)
	}
	switch {
	case !privateOnly(b, spec, defaults):
		consolidate(poolOf(idx.exported, ns), b, spec)
	case ns == RootNamespace:
		consolidate(idx.rootLocal, b, spec)
	}
}

// consolidate merges b into the pool's entries for its host as istiod
// does: into each entry with the same exportTo, or one b's exportTo
// contains, unless their selectors differ; b starts an entry of its own
// when none took it, or when it has a selector the entry lacks.
func consolidate(pool *hostIndex[*drEntry], b *boundDR, spec []string) {
	separate := true
	for _, e := range pool.same(b.host) {
		switch {
		case sameSet(spec, e.exportTo):
			separate = false
		case len(e.exportTo) > 0 && superset(spec, e.exportTo):
			separate = true
		default:
			separate = true
			continue
		}
		bothWith := b.selector != nil && e.selector != nil
		if bothWith && !maps.Equal(b.selector, e.selector) {
			separate = true
			continue
		}
		if bothWith || (b.selector == nil && e.selector == nil) {
			separate = false
		}
		e.rules = append(e.rules, b)
	}
	if separate {
		pool.add(b.host, &drEntry{rules: []*boundDR{b}, exportTo: spec, selector: b.selector})
	}
}

func sameSet(a, b []string) bool { return superset(a, b) && superset(b, a) }

func superset(a, b []string) bool {
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// privateOnly: exportTo "." or the own namespace alone, or no exportTo
// with defaultDestinationRuleExportTo ".". Only "." and "*" of the
// default count, as istiod.
func privateOnly(b *boundDR, spec, defaults []string) bool {
	if b.unset {
		return slices.Contains(defaults, exportPrivate)
	}
	return len(spec) == 1 && (spec[0] == exportPrivate || spec[0] == b.dr.Namespace)
}

func poolOf(m map[string]*hostIndex[*drEntry], ns string) *hostIndex[*drEntry] {
	if m[ns] == nil {
		m[ns] = newHostIndex[*drEntry]()
	}
	return m[ns]
}

// drPick is what applies to one host for proxies of one namespace: the
// catch-all rules and the entries for selected workloads.
type drPick struct {
	catchAll []*boundDR
	selected []*drEntry
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

// exportedTo keeps the entries whose exportTo (as written) is empty, "*"
// or names client.
func exportedTo(entries []*drEntry, client string) []*drEntry {
	visible := func(e *drEntry) bool {
		return len(e.exportTo) == 0 || slices.Contains(e.exportTo, exportPublic) || slices.Contains(e.exportTo, client)
	}
	if !slices.ContainsFunc(entries, func(e *drEntry) bool { return !visible(e) }) {
		return entries // the usual case, without copying
	}
	var out []*drEntry
	for _, e := range entries {
		if visible(e) {
			out = append(out, e)
		}
	}
	return out
}

// split picks as istiod: the last catch-all entry, and the selector
// entries (which apply only in their own namespace).
func split(entries []*drEntry, client string) drPick {
	var p drPick
	for _, e := range entries {
		switch {
		case e.selector == nil:
			p.catchAll = e.rules
		case e.first().dr.Namespace == client:
			p.selected = append(p.selected, e)
		}
	}
	return p
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
