package main

import (
	"fmt"
	"io"

	"github.com/weftmesh/weft/pilot/analysis"
)

// writeValidateReport prints validate's text result in istioctl validate's
// shape: `"FILE" is valid` per clean file, a `"FILE" has warnings:` block
// per file with warnings, then `Error: N error(s) occurred:` with one
// `\t* ` item per error. Each item is weft's full line (code, file:line:col,
// resource, field), which istioctl's items lack.
func writeValidateReport(w io.Writer, ins []analysis.Input, msgs []analysis.Message) error {
	byFile := map[string][]analysis.Message{}
	for _, m := range msgs {
		byFile[m.Err.File] = append(byFile[m.Err.File], m)
	}
	var errs []analysis.Message
	for _, in := range ins {
		var warns []analysis.Message
		for _, m := range byFile[in.Name] {
			if m.Severity >= analysis.Error {
				errs = append(errs, m)
			} else {
				warns = append(warns, m)
			}
		}
		if err := writeFileVerdict(w, in.Name, warns, hasErrors(byFile[in.Name])); err != nil {
			return err
		}
	}
	errs = append(errs, byFile[""]...) // not tied to a file: still reported
	if len(errs) == 0 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "Error: %d error(s) occurred:\n", len(errs)); err != nil {
		return err
	}
	return writeItems(w, errs)
}

func hasErrors(msgs []analysis.Message) bool { return analysis.HasErrors(msgs) }

func writeFileVerdict(w io.Writer, file string, warns []analysis.Message, failed bool) error {
	switch {
	case len(warns) > 0:
		if _, err := fmt.Fprintf(w, "%q has warnings:\n", file); err != nil {
			return err
		}
		return writeItems(w, warns)
	case !failed:
		_, err := fmt.Fprintf(w, "%q is valid\n", file)
		return err
	}
	return nil
}

func writeItems(w io.Writer, msgs []analysis.Message) error {
	for _, m := range msgs {
		if _, err := fmt.Fprintf(w, "\t* %s\n", m); err != nil {
			return err
		}
	}
	return nil
}
