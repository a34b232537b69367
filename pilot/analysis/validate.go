package analysis

import (
	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/validation"
)

// Load decodes every input into one snapshot. Documents that fail to decode
// and duplicates are left out of the snapshot and reported (WFT0001,
// WFT0003), so later checks still run on everything else.
func Load(inputs []Input) (*config.Snapshot, []Message) {
	b := config.NewBuilder()
	var msgs []Message
	for _, in := range inputs {
		objs, errs := config.Decode(in.Name, in.Data)
		for _, e := range errs {
			msgs = append(msgs, decodeMessage(e))
		}
		for _, o := range objs {
			if e := b.Add(o); e != nil {
				msgs = append(msgs, Message{Code: CodeDuplicate, Severity: Error, Err: e})
			}
		}
	}
	return b.Finish(), msgs
}

// Validate is `weftctl validate`, as istioctl's: each object on its own —
// decode errors, field values, and warnings for what weft does not act on.
// Checks across objects (does the subset exist? two definitions of one
// resource?) are analyze's, so a directory holding one resource in two API
// versions, or a VirtualService without its DestinationRule, validates.
func Validate(inputs []Input) []Message {
	var msgs []Message
	for _, in := range inputs {
		objs, errs := config.Decode(in.Name, in.Data)
		for _, e := range errs {
			msgs = append(msgs, decodeMessage(e))
		}
		for _, o := range objs {
			if !o.Foreign() {
				msgs = append(msgs, ValidateObject(o)...)
				msgs = append(msgs, validateServicePorts(o)...)
			}
		}
	}
	locateFields(inputs, msgs)
	return msgs
}

// locateFields gives messages found after decoding (validation, analyzers)
// the line and column of their field, as decode errors have: those know
// only a field path and the document it is in, so the document is parsed
// again, once per file with such messages. Only messages that need it pay.
func locateFields(inputs []Input, msgs []Message) {
	byFile := map[string][]*config.Error{}
	for _, m := range msgs {
		if e := m.Err; e.File != "" && e.Field != "" && e.Column == 0 {
			byFile[e.File] = append(byFile[e.File], e)
		}
	}
	for _, in := range inputs {
		if errs := byFile[in.Name]; len(errs) > 0 {
			config.Locate(in.Data, errs...)
			delete(byFile, in.Name) // a name read twice: Load's origins are ambiguous; keep the first
		}
	}
}

func validateSnapshot(s *config.Snapshot) []Message {
	var out []Message
	for _, e := range validation.ValidateSnapshot(s) {
		out = append(out, classify(e))
	}
	return out
}

// ValidateObject checks one resource on its own, as the webhook does (it
// sees one object at a time, so cross-resource references are not checked).
func ValidateObject(o config.Object) []Message {
	var out []Message
	for _, e := range validation.ToConfigErrors(o, validation.Validate(o.Resource)) {
		out = append(out, classify(e))
	}
	return append(out, supportMessages(o)...)
}

// classify gives a validation error its code: most are IST0106, but a
// problem analyze also names (missing subset) keeps its own code whichever
// command finds it.
func classify(e *config.Error) Message {
	code := CodeInvalid
	if e.Reason == config.ReasonMissingSubset {
		code = CodeSubsetNotFound
	}
	return Message{Code: code, Severity: severityOf(code), Err: e}
}

// HasErrors reports whether any message is at least an Error.
func HasErrors(msgs []Message) bool { return MaxSeverity(msgs) >= Error && len(msgs) > 0 }

// MaxSeverity is the highest severity among msgs (Info when empty).
func MaxSeverity(msgs []Message) Severity {
	max := Info
	for _, m := range msgs {
		if m.Severity > max {
			max = m.Severity
		}
	}
	return max
}
