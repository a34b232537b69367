package webhook

import (
	"strings"

	"github.com/weftmesh/weft/pilot/analysis"
	"github.com/weftmesh/weft/pilot/config"
)

// lastApplied is where `kubectl apply` keeps the object as the user wrote it.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// prunedFields warns about fields the user applied that Istio's CRD schema
// does not have: the API server drops them before any webhook sees the
// object (kubectl --validate=false), so the only trace is the
// last-applied configuration. Istio accepts such objects too, so this
// warns rather than denies; nothing is dropped silently.
func prunedFields(o config.Object) []analysis.Message {
	applied := o.Resource.GetAnnotations()[lastApplied]
	if applied == "" {
		return nil
	}
	_, errs := config.Decode("", []byte(applied))
	var out []analysis.Message
	for _, e := range errs {
		if !strings.HasPrefix(e.Message, "unknown field") {
			continue
		}
		w := *e
		w.Namespace, w.Name = o.Key.Namespace, o.Key.Name // as stored, whatever the file said
		w.Message = "unknown field: the API server dropped it (not in Istio's schema); it has no effect"
		out = append(out, analysis.Message{Code: analysis.CodeSchema, Severity: analysis.Warning, Err: &w})
	}
	return out
}
