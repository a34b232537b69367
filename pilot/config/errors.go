package config

import (
	"fmt"
	"log/slog"
	"strings"
)

// Error is one problem found while decoding or validating config, carrying
// everything known about where it is so a human can go straight to it.
type Error struct {
	File string
	// Doc is the 0-based index of the document in File (like Origin.Doc).
	Doc int
	// Line is the 1-based line of the document start, or of the exact spot
	// when the parser knows it (YAML/JSON syntax errors); 0 when unknown.
	Line int
	// Column is the 1-based column of the field at fault; 0 when unknown.
	Column    int
	Kind      string
	Namespace string
	Name      string
	// Field is a path such as spec.http[0].route[1].weight.
	Field   string
	Message string
	// Reason classifies the error for status conditions: Invalid, or
	// MissingSubset for a reference to a subset no DestinationRule defines.
	// Decode errors about objects weft does not read say so (UnknownKind,
	// Foreign), so front ends can report them below Error.
	Reason string
}

// Reasons an Error can give.
const (
	ReasonInvalid       = "Invalid"
	ReasonMissingSubset = "MissingSubset"
	// ReasonUnknownKind: an istio.io apiVersion whose kind or version weft
	// does not know (a misspelt kind, a future version).
	ReasonUnknownKind = "UnknownKind"
	// ReasonForeign: a Kubernetes object weft does not read (Deployment,
	// ConfigMap, another project's CRD) does not match its schema.
	ReasonForeign = "Foreign"
)

// NewError builds an Error for a field of the resource key found at origin.
func NewError(origin Origin, key Key, field, message string) *Error {
	return &Error{
		File: origin.File, Doc: origin.Doc, Line: origin.Line,
		Kind: key.Kind, Namespace: key.Namespace, Name: key.Name,
		Field: field, Message: message,
	}
}

// Error renders e as
//
//	file:line (document N): Kind ns/name: field: message
//
// leaving out the parts that are unknown. Documents are numbered from 1
// here, as people count them; the Doc field itself is 0-based.
func (e *Error) Error() string {
	var parts []string
	if pos := e.position(); pos != "" {
		parts = append(parts, pos)
	}
	if res := e.resource(); res != "" {
		parts = append(parts, res)
	}
	if e.Field != "" {
		parts = append(parts, e.Field)
	}
	parts = append(parts, e.Message)
	return strings.Join(parts, ": ")
}

func (e *Error) position() string {
	switch {
	case e.File == "" && e.Line == 0:
		return ""
	case e.Line == 0:
		return e.File
	case e.Column == 0:
		return fmt.Sprintf("%s:%d (document %d)", e.File, e.Line, e.Doc+1)
	default:
		return fmt.Sprintf("%s:%d:%d (document %d)", e.File, e.Line, e.Column, e.Doc+1)
	}
}

func (e *Error) resource() string {
	switch {
	case e.Kind == "":
		return ""
	case e.Name == "":
		return e.Kind
	case e.Namespace == "":
		return e.Kind + " " + e.Name
	default:
		return e.Kind + " " + e.Namespace + "/" + e.Name
	}
}

// Key is the resource the error is about; Kind or Name is empty when the
// error could not be tied to one resource (e.g. malformed YAML).
func (e *Error) Key() Key { return Key{Kind: e.Kind, Namespace: e.Namespace, Name: e.Name} }

// Attrs are e's parts as slog attributes, so logs can be filtered by file
// or resource without parsing the message.
func (e *Error) Attrs() []slog.Attr {
	return []slog.Attr{
		slog.String("file", e.File),
		slog.Int("doc", e.Doc),
		slog.Int("line", e.Line),
		slog.Int("column", e.Column),
		slog.String("kind", e.Kind),
		slog.String("namespace", e.Namespace),
		slog.String("name", e.Name),
		slog.String("field", e.Field),
		slog.String("error", e.Message),
	}
}
