package translate

import (
	"strings"

	"github.com/weftmesh/weft/apis/support"
	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// reportUnsupported adds a diagnostic for every field an implemented
// Istio object sets that the support table rates Unsupported for sidecars,
// so no field is silently ignored. Partly supported fields depend on their
// value, which translate warns about itself. A field translate already
// warned about keeps translate's more specific message.
func (t *translator) reportUnsupported() {
	warned := map[mesh.Diagnostic]bool{}
	for _, d := range t.m.Diagnostics {
		warned[mesh.Diagnostic{Ref: d.Ref, Field: d.Field}] = true
	}
	t.snap.Each(func(o config.Object) {
		spec := config.Spec(o.Resource)
		if spec == nil || !config.Implemented(o.Key.Kind) {
			return
		}
		ref := mesh.Ref{Kind: o.Key.Kind, Namespace: o.Key.Namespace, Name: o.Key.Name}
		for _, f := range support.CheckFor(o.Key.Kind, spec, support.Sidecar) {
			field := specPath(f.Path)
			if f.Entry.Sidecar == support.Unsupported && !warned[mesh.Diagnostic{Ref: ref, Field: field}] {
				t.unsupported(ref, field, unsupportedMessage(f.Entry))
			}
		}
	})
}

// specPath turns a support-table path (http[0].headers{x}.set) into the
// field path errors use (spec.http[0].headers[x].set).
func specPath(p string) string {
	p = strings.NewReplacer("{", "[", "}", "]").Replace(p)
	if p == "" {
		return "spec"
	}
	return "spec." + p
}

func unsupportedMessage(e support.Entry) string {
	if e.Note != "" {
		return "not supported by weft for sidecars: " + e.Note
	}
	return "not supported by weft for sidecars: ignored"
}
