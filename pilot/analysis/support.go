package analysis

import (
	"strings"

	"github.com/weftmesh/weft/apis/support"
	"github.com/weftmesh/weft/pilot/config"
)

// supportMessages warns about what weft accepts but does not act on: a
// whole Istio kind it does not implement, or a field the support table
// rates unsupported for sidecars. Never an error, never silence.
func supportMessages(o config.Object) []Message {
	spec := config.Spec(o.Resource)
	if spec == nil {
		return nil
	}
	if !config.Implemented(o.Key.Kind) {
		msg := o.Key.Kind + " is not supported by weft: it is validated but changes no proxy's configuration"
		return []Message{{Code: CodeUnsupportedKind, Severity: Warning, Err: config.NewError(o.Origin, o.Key, "", msg)}}
	}
	var out []Message
	for _, f := range support.CheckFor(o.Key.Kind, spec, support.Sidecar) {
		if f.Entry.Sidecar != support.Unsupported {
			continue // partial support depends on the value; translate warns about the values it drops
		}
		msg := "not supported by weft for sidecars: ignored"
		if f.Entry.Note != "" {
			msg = "not supported by weft for sidecars: " + f.Entry.Note
		}
		field := "spec." + strings.NewReplacer("{", "[", "}", "]").Replace(f.Path)
		out = append(out, Message{Code: CodeUnsupportedField, Severity: Warning, Err: config.NewError(o.Origin, o.Key, field, msg)})
	}
	return out
}
