// Package analysis is what weftctl validate/analyze and the validating
// webhook share: loading config files, turning decode and validation errors
// into coded messages, and cross-resource analyzers with stable codes.
package analysis

import (
	"fmt"
	"strings"

	"github.com/weftmesh/weft/pilot/config"
)

// Severity orders messages; --failure-threshold compares against it.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "Info"
	case Warning:
		return "Warning"
	}
	return "Error"
}

// ParseSeverity accepts the names String returns, case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	for _, sev := range []Severity{Info, Warning, Error} {
		if strings.EqualFold(s, sev.String()) {
			return sev, nil
		}
	}
	return Error, fmt.Errorf("unknown severity %q (want Info, Warning or Error)", s)
}

// MarshalText makes JSON/YAML output print the name, not the number.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Message is one finding. Err carries the location and text exactly as
// config.Error renders them, so every front end prints the same words.
type Message struct {
	Code     string
	Severity Severity
	Err      *config.Error
}

// String renders "Error [IST0106] file:line:column (document N): Kind ns/name: field: message".
func (m Message) String() string {
	return fmt.Sprintf("%s [%s] %s", m.Severity, m.Code, m.Err.Error())
}

// Resource is "Kind ns/name" (or "Kind name"), as used by -S suppressions.
func (m Message) Resource() string { return m.Err.Key().String() }

// Record is Message flattened for JSON and YAML output.
type Record struct {
	Code      string `json:"code"`
	Severity  string `json:"severity"`
	File      string `json:"file,omitempty"`
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
	Document  int    `json:"document,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	Field     string `json:"field,omitempty"`
	Message   string `json:"message"`
	Text      string `json:"text"`
}

// Record flattens m; Document is 1-based like the text form.
func (m Message) Record() Record {
	e := m.Err
	r := Record{
		Code: m.Code, Severity: m.Severity.String(), File: e.File, Line: e.Line, Column: e.Column,
		Kind: e.Kind, Namespace: e.Namespace, Name: e.Name, Field: e.Field,
		Message: e.Message, Text: e.Error(),
	}
	if e.File != "" {
		r.Document = e.Doc + 1
	}
	return r
}
