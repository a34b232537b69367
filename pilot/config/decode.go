package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Decode parses one file: multi-document YAML ("---") or a JSON object, in
// both cases possibly a List (or FooList) with items. Each document is
// decoded strictly by apiVersion and kind into its typed object. It returns
// the objects that decoded and an error for each document (or list item)
// that did not; one bad document does not stop the others.
func Decode(file string, data []byte) ([]Object, []*Error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // editors on Windows add a BOM
	if isJSON(data) {
		return decodeJSON(file, data)
	}
	var objs []Object
	var errs []*Error
	for _, doc := range splitYAML(data) {
		o, e := decodeYAMLDocument(file, doc)
		objs, errs = append(objs, o...), append(errs, e...)
	}
	return objs, errs
}

func decodeJSON(file string, data []byte) ([]Object, []*Error) {
	origin := Origin{File: file, Doc: 0, Line: lineAt(data, int64(len(data)-len(trimLeftSpace(data))))}
	if trimLeftSpace(data)[0] == '[' {
		return nil, []*Error{{File: file, Line: origin.Line, Message: "a JSON file must hold one object (or a List), not an array"}}
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		e := &Error{File: file, Doc: 0, Line: origin.Line, Message: "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
		if ok, off := kjson.SyntaxErrorOffset(err); ok {
			e.Line = lineAt(data, off)
		}
		return nil, []*Error{e}
	}
	return decodeDocument(origin, data)
}

func decodeYAMLDocument(file string, doc document) ([]Object, []*Error) {
	origin := Origin{File: file, Doc: doc.index, Line: doc.line}
	raw, err := yaml.YAMLToJSONStrict(doc.body)
	if err != nil {
		line, msg := yamlErrorLine(strings.TrimPrefix(err.Error(), "error converting YAML to JSON: "))
		msg = strings.TrimPrefix(msg, "unmarshal errors: ")
		e := &Error{File: file, Doc: doc.index, Line: doc.line, Message: "malformed YAML: " + msg}
		if line > 0 {
			e.Line = doc.first + line - 1
		}
		return nil, []*Error{e}
	}
	if string(raw) == "null" {
		return nil, nil // only comments, or an explicit null: nothing to decode
	}
	return decodeDocument(origin, raw)
}

// header is what is known about a document before strict decoding, so that
// errors can name the resource even when decoding fails.
type header struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	Items      []json.RawMessage
	IsList     bool
}

// peekHeader reads apiVersion, kind and metadata leniently: every part that
// has the wrong shape is simply left empty.
func peekHeader(raw []byte) (header, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return header{}, errors.New("a document must be a mapping (apiVersion, kind, metadata, spec)")
	}
	var h header
	var meta struct{ Namespace, Name string }
	_ = json.Unmarshal(top["apiVersion"], &h.APIVersion)
	_ = json.Unmarshal(top["kind"], &h.Kind)
	_ = json.Unmarshal(top["metadata"], &meta)
	h.Namespace, h.Name = meta.Namespace, meta.Name
	if items, ok := top["items"]; ok && strings.HasSuffix(h.Kind, "List") {
		h.IsList = true
		_ = json.Unmarshal(items, &h.Items)
	}
	return h, nil
}

// decodeDocument decodes one JSON document, expanding Lists.
func decodeDocument(origin Origin, raw []byte) ([]Object, []*Error) {
	h, err := peekHeader(raw)
	if err != nil {
		return nil, []*Error{NewError(origin, Key{}, "", err.Error())}
	}
	if !h.IsList {
		o, e := decodeObject(origin, raw, h, "")
		return wrap(o, e)
	}
	var objs []Object
	var errs []*Error
	for i, item := range h.Items {
		o, e := decodeListItem(origin, item, h, fmt.Sprintf("items[%d]", i))
		if e != nil {
			errs = append(errs, e...)
		} else {
			objs = append(objs, o)
		}
	}
	return objs, errs
}

// decodeListItem decodes one item of a List. Items of a typed list such as
// VirtualServiceList may leave out apiVersion and kind, as the API server
// returns them; they default to the list's.
func decodeListItem(origin Origin, item []byte, list header, path string) (Object, []*Error) {
	h, err := peekHeader(item)
	if err != nil {
		return Object{}, []*Error{NewError(origin, Key{}, path, err.Error())}
	}
	if h.Kind == "" && list.Kind != "List" {
		h.Kind, h.APIVersion = strings.TrimSuffix(list.Kind, "List"), list.APIVersion
		item, err = withTypeMeta(item, h)
		if err != nil {
			return Object{}, []*Error{NewError(origin, Key{}, path, err.Error())}
		}
	}
	return decodeObject(origin, item, h, path+".")
}

func withTypeMeta(item []byte, h header) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(item, &m); err != nil {
		return nil, fmt.Errorf("list item: %w", err)
	}
	m["apiVersion"], _ = json.Marshal(h.APIVersion)
	m["kind"], _ = json.Marshal(h.Kind)
	return json.Marshal(m)
}

func wrap(o Object, errs []*Error) ([]Object, []*Error) {
	if errs != nil {
		return nil, errs
	}
	return []Object{o}, nil
}

// decodeObject strictly decodes one resource. prefix is prepended to field
// paths ("items[2]." inside a List).
func decodeObject(origin Origin, raw []byte, h header, prefix string) (Object, []*Error) {
	k, gvErr := lookupKind(h)
	key := Key{Kind: h.Kind, Namespace: h.Namespace, Name: h.Name}
	switch {
	case k != nil && !k.namespaced:
		key.Namespace = ""
	case k != nil && key.Namespace == "":
		key.Namespace = DefaultNamespace
	}
	if gvErr != nil {
		return Object{}, []*Error{NewError(origin, key, prefix+gvErr.field, gvErr.msg)}
	}
	obj := k.newObject()
	if fes := strictUnmarshal(raw, obj); len(fes) > 0 {
		errs := make([]*Error, len(fes))
		for i, fe := range fes {
			errs[i] = NewError(origin, key, prefix+fe.field, fe.msg)
		}
		return Object{}, errs
	}
	if obj.GetName() == "" {
		return Object{}, []*Error{NewError(origin, key, prefix+"metadata.name", "name is required")}
	}
	normalize(obj, k)
	return Object{Key: KeyOf(obj), Origin: origin, Resource: obj}, nil
}

// normalize gives obj its stored apiVersion and namespace defaults, so
// equal config written in different served versions compares equal.
func normalize(obj Resource, k *kind) {
	obj.GetObjectKind().SetGroupVersionKind(k.storedGVK())
	switch {
	case !k.namespaced:
		obj.SetNamespace("")
	case obj.GetNamespace() == "":
		obj.SetNamespace(DefaultNamespace)
	}
}

// fieldError is a message about one field, before it has a position.
type fieldError struct{ field, msg string }

func lookupKind(h header) (*kind, *fieldError) {
	if h.APIVersion == "" {
		return nil, &fieldError{"apiVersion", "apiVersion is required"}
	}
	if h.Kind == "" {
		return nil, &fieldError{"kind", "kind is required"}
	}
	gv, err := schema.ParseGroupVersion(h.APIVersion)
	if err != nil {
		return nil, &fieldError{"apiVersion", fmt.Sprintf("invalid apiVersion %q: %v", h.APIVersion, err)}
	}
	k, ok := kindsByName[h.Kind]
	if !ok || k.group != gv.Group {
		return nil, &fieldError{"kind", fmt.Sprintf("unknown kind %q in apiVersion %q", h.Kind, h.APIVersion)}
	}
	if !k.serves(gv.Version) {
		return nil, &fieldError{"apiVersion", fmt.Sprintf("%s does not serve %s (served: %s)",
			h.APIVersion, h.Kind, strings.Join(k.versions, ", "))}
	}
	return k, nil
}

var typeErrRE = regexp.MustCompile(`^json: cannot unmarshal (.+) into Go struct field [^.\s]+\.(\S+) of type (\S+)$`)

// strictUnmarshal decodes raw into obj, rejecting unknown and duplicate
// fields, and turns each problem into a field path and message.
func strictUnmarshal(raw []byte, obj Resource) []fieldError {
	strict, err := kjson.UnmarshalStrict(raw, obj)
	if err != nil {
		return []fieldError{typeError(raw, obj, err)}
	}
	var out []fieldError
	for _, e := range strict {
		var fe kjson.FieldError
		if !errors.As(e, &fe) {
			out = append(out, fieldError{"", e.Error()})
			continue
		}
		// "unknown field \"spec.x\"" -> "unknown field"; the path goes in Field.
		msg := strings.TrimSuffix(fe.Error(), " "+strconv.Quote(fe.FieldPath()))
		out = append(out, fieldError{fe.FieldPath(), msg})
	}
	return out
}

// typeError describes a value of the wrong JSON type. The strict decoder
// names the field without list indexes (spec.http.route.weight), so the
// exact path is recovered from the offset the standard decoder reports.
func typeError(raw []byte, obj Resource, err error) fieldError {
	m := typeErrRE.FindStringSubmatch(err.Error())
	if m == nil {
		return fieldError{"", strings.TrimPrefix(err.Error(), "json: ")}
	}
	fe := fieldError{m[2], fmt.Sprintf("wrong type: got %s, want %s", m[1], m[3])}
	var te *json.UnmarshalTypeError
	fresh := obj.DeepCopyObject()
	if errors.As(json.Unmarshal(raw, fresh), &te) {
		if p := jsonPathAt(raw, te.Offset); p != "" {
			fe.field = p
		}
	}
	return fe
}

func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}
