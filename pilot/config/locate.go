package config

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Locate sets the Line and Column of each error to where its Field is
// written in data, the file whose resources the errors are about (as
// Decode read it: the same documents, numbered the same way). Validation
// finds problems after decoding and knows only a field path; Locate puts
// them at the field, as decode errors are. The deepest part of the path
// that exists is used, so a missing field points at its parent, and the
// error's Field is cut back to that parent: the path then names what is
// written, as istioctl's users and the corpus mark a missing field. Errors
// without a Field, or whose document does not parse, are left as they are.
// Each document is parsed once however many errors point into it.
func Locate(data []byte, errs ...*Error) {
	var docs []document
	parsed := map[int]*yaml.Node{}
	for _, e := range errs {
		if e.Field == "" {
			continue
		}
		if docs == nil {
			docs = documentsOf(data)
		}
		n, ok := parsed[e.Doc]
		if !ok && e.Doc >= 0 && e.Doc < len(docs) {
			n, _ = parseNode(docs[e.Doc].body, docs[e.Doc].first)
			parsed[e.Doc] = n
		}
		at, missing := locateError(n, e)
		if at != nil {
			e.Line, e.Column = at.Line, at.Column
		}
		if parent := strings.TrimSuffix(strings.TrimSuffix(e.Field, missing), "."); missing != "" && parent != "" {
			e.Field = parent
		}
	}
}

// documentsOf splits data into documents exactly as Decode does, so that
// Error.Doc indexes the result.
func documentsOf(data []byte) []document {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if isJSON(data) {
		// Decode parses JSON as YAML with tabs as plain spaces.
		return []document{{index: 0, first: 1, line: 1, body: bytes.ReplaceAll(data, []byte("\t"), []byte(" "))}}
	}
	return splitYAML(data)
}

// locateError finds e's field in document root, and the part of its path
// that is not written there. Inside a List, decode
// errors name the item ("items[2].spec.host"); errors found later name
// only the resource, whose item is found by kind, name and namespace.
func locateError(root *yaml.Node, e *Error) (*yaml.Node, string) {
	if root == nil {
		return nil, ""
	}
	path := e.Field
	if i, rest, ok := cutItemIndex(path); ok {
		if item := listItem(root, i); item != nil {
			return locateDeepest(item, rest)
		}
		return locateDeepest(root, path)
	}
	if i, item := itemOf(root, e); item != nil {
		// Name the item, as decode errors inside a List do.
		e.Field = fmt.Sprintf("items[%d].%s", i, path)
		return locateDeepest(item, path)
	}
	return locateDeepest(root, path)
}

// cutItemIndex splits "items[N].rest" into N and rest.
func cutItemIndex(path string) (int, string, bool) {
	rest, ok := strings.CutPrefix(path, "items[")
	if !ok {
		return 0, "", false
	}
	num, rest, ok := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, "", false
	}
	return i, strings.TrimPrefix(rest, "."), true
}

func listItem(root *yaml.Node, i int) *yaml.Node {
	items := resolve(child(root, "items"))
	if items == nil || items.Kind != yaml.SequenceNode || i < 0 || i >= len(items.Content) {
		return nil
	}
	return items.Content[i]
}

// itemOf returns the item of a List document that is e's resource, and
// its index, or nil when root is not a List or no item matches. Items may
// leave out kind and namespace (they default to the list's and
// "default"), so those are compared only when written.
func itemOf(root *yaml.Node, e *Error) (int, *yaml.Node) {
	items := resolve(child(root, "items"))
	if items == nil || items.Kind != yaml.SequenceNode || e.Name == "" {
		return 0, nil
	}
	for i, item := range items.Content {
		meta := child(item, "metadata")
		kind, ns := scalarText(child(item, "kind")), scalarText(child(meta, "namespace"))
		if scalarText(child(meta, "name")) == e.Name && (kind == "" || kind == e.Kind) && (ns == "" || ns == e.Namespace) {
			return i, item
		}
	}
	return 0, nil
}
