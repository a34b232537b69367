package analysis

import "github.com/weftmesh/weft/pilot/config"

// decodeMessage codes a decode error. Problems in objects weft does not
// read are warnings: weft neither uses nor rejects them (istioctl skips
// them entirely), but saying nothing would hide a typo such as
// "kind: VirtualServce".
func decodeMessage(e *config.Error) Message {
	code := CodeSchema
	switch e.Reason {
	case config.ReasonUnknownKind:
		code = CodeUnknownIstioKind
	case config.ReasonForeign:
		code = CodeForeignSchema
	}
	return Message{Code: code, Severity: severityOf(code), Err: e}
}
