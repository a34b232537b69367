package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// Decode parses one file: multi-document YAML ("---") or a JSON object, in
// both cases possibly a List (or FooList) with items. Each document is
// decoded strictly by apiVersion and kind into its typed object; errors
// carry the line and column of the field at fault. It returns the objects
// that decoded and an error for each problem of those that did not; one bad
// document does not stop the others.
//
// Kubernetes kinds weft does not read (Deployment, ConfigMap, a CRD of
// another project) decode too, as foreign objects (see Object.Foreign):
// checked against their schema when client-go has one.
func Decode(file string, data []byte) ([]Object, []*Error) {
	var objs []Object
	var errs []*Error
	for _, d := range decodeFile(file, data) {
		if len(d.errs) == 0 {
			objs = append(objs, d.obj)
		}
		errs = append(errs, d.errs...)
	}
	return objs, errs
}

// DecodeServing decodes a file the way a running server reads config, as
// istiod does: a field Istio's schema does not have is dropped rather than
// failing the resource (istioctl validate and weftctl validate, which use
// Decode, still reject it). Each dropped field is returned in warnings, so
// it can be said out loud; errs are everything else.
func DecodeServing(file string, data []byte) (objs []Object, errs, warnings []*Error) {
	for _, d := range decodeFile(file, data) {
		switch {
		case len(d.errs) == 0:
			objs = append(objs, d.obj)
		case d.obj.Resource != nil && onlyUnknownFields(d.errs):
			objs, warnings = append(objs, d.obj), append(warnings, d.errs...)
		default:
			errs = append(errs, d.errs...)
		}
	}
	return objs, errs, warnings
}

// unknownFieldMsg starts the message of every unknown-field error, from
// either decoder.
const unknownFieldMsg = "unknown field"

func onlyUnknownFields(errs []*Error) bool {
	for _, e := range errs {
		if !strings.HasPrefix(e.Message, unknownFieldMsg) {
			return false
		}
	}
	return true
}

// decoded is one resource's outcome: its object (set even when the only
// problems are unknown fields) and its errors.
type decoded struct {
	obj  Object
	errs []*Error
}

func decodeFile(file string, data []byte) []decoded {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // editors on Windows add a BOM
	if isJSON(data) {
		return decodeJSON(file, data)
	}
	var out []decoded
	for _, doc := range splitYAML(data) {
		out = append(out, decodeYAMLDocument(file, doc)...)
	}
	return out
}

// failed is the outcome of a document that yielded no object.
func failed(errs ...*Error) []decoded { return []decoded{{errs: errs}} }

func decodeJSON(file string, data []byte) []decoded {
	origin := Origin{File: file, Doc: 0, Line: lineAt(data, int64(len(data)-len(trimLeftSpace(data))))}
	if trimLeftSpace(data)[0] == '[' {
		return failed(&Error{File: file, Line: origin.Line, Message: "a JSON file must hold one object (or a List), not an array"})
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		e := &Error{File: file, Doc: 0, Line: origin.Line, Message: "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
		if ok, off := kjson.SyntaxErrorOffset(err); ok {
			e.Line = lineAt(data, off)
		}
		return failed(e)
	}
	// JSON is YAML: one parser gives positions for both. Tabs, which YAML
	// does not allow as indentation, are plain whitespace in JSON.
	n, err := parseNode(bytes.ReplaceAll(data, []byte("\t"), []byte(" ")), 1)
	if err != nil {
		return failed(&Error{File: file, Line: origin.Line, Message: "malformed JSON: " + err.Error()})
	}
	return decodeDocument(origin, n)
}

func decodeYAMLDocument(file string, doc document) []decoded {
	origin := Origin{File: file, Doc: doc.index, Line: doc.line}
	n, err := parseNode(doc.body, doc.first)
	if err != nil {
		// yaml.v3 often points at the enclosing block; Kubernetes' YAML
		// reader names the line of the problem itself, so ask it for the message.
		if _, kerr := sigsyaml.YAMLToJSONStrict(doc.body); kerr != nil {
			err = errors.New(strings.TrimPrefix(kerr.Error(), "error converting YAML to JSON: "))
		}
		line, msg := yamlErrorLine(err.Error())
		msg = strings.TrimPrefix(msg, "unmarshal errors: ")
		e := &Error{File: file, Doc: doc.index, Line: doc.line, Message: "malformed YAML: " + msg}
		if line > 0 {
			e.Line = doc.first + line - 1
		}
		return failed(e)
	}
	if isNull(n) {
		return nil // only comments, or an explicit null: nothing to decode
	}
	return decodeDocument(origin, n)
}

// header is what is known about a document before strict decoding, so that
// errors can name the resource even when decoding fails.
type header struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	Items      []*yaml.Node
	IsList     bool
}

// peekHeader reads apiVersion, kind and metadata leniently: every part that
// has the wrong shape is simply left empty.
func peekHeader(n *yaml.Node) (header, error) {
	if n = resolve(n); n.Kind != yaml.MappingNode {
		return header{}, errors.New("a document must be a mapping (apiVersion, kind, metadata, spec)")
	}
	var h header
	for _, kv := range mappingPairs(n) {
		switch kv.key.Value {
		case "apiVersion":
			h.APIVersion = scalarText(kv.value)
		case "kind":
			h.Kind = scalarText(kv.value)
		case "metadata":
			h.Namespace, h.Name = scalarText(child(kv.value, "namespace")), scalarText(child(kv.value, "name"))
		case "items":
			if items := resolve(kv.value); items.Kind == yaml.SequenceNode {
				h.Items = items.Content
			}
		}
	}
	h.IsList = h.Items != nil && strings.HasSuffix(h.Kind, "List")
	return h, nil
}

func scalarText(n *yaml.Node) string {
	if n = resolve(n); n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

// child is the value of key in mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n = resolve(n); n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for _, kv := range mappingPairs(n) {
		if kv.key.Value == key {
			return kv.value
		}
	}
	return nil
}

// decodeDocument decodes one document, expanding Lists.
func decodeDocument(origin Origin, n *yaml.Node) []decoded {
	h, err := peekHeader(n)
	if err != nil {
		e := NewError(origin, Key{}, "", err.Error())
		e.Line, e.Column = n.Line, n.Column
		return failed(e)
	}
	if !h.IsList {
		o, e := decodeObject(origin, n, h, "")
		return []decoded{{o, e}}
	}
	out := make([]decoded, 0, len(h.Items))
	for i, item := range h.Items {
		o, e := decodeListItem(origin, item, h, fmt.Sprintf("items[%d]", i))
		out = append(out, decoded{o, e})
	}
	return out
}

// decodeListItem decodes one item of a List. Items of a typed list such as
// VirtualServiceList may leave out apiVersion and kind, as the API server
// returns them; they default to the list's.
func decodeListItem(origin Origin, item *yaml.Node, list header, path string) (Object, []*Error) {
	h, err := peekHeader(item)
	if err != nil {
		return Object{}, []*Error{positioned(origin, Key{}, item, fieldError{field: path, msg: err.Error()}, "")}
	}
	if h.Kind == "" && list.Kind != "List" {
		h.Kind, h.APIVersion = strings.TrimSuffix(list.Kind, "List"), list.APIVersion
	}
	return decodeObject(origin, item, h, path+".")
}

// decodeObject strictly decodes one resource. prefix is prepended to field
// paths ("items[2]." inside a List). The object comes back with its errors
// when they are all unknown fields (see DecodeServing).
func decodeObject(origin Origin, n *yaml.Node, h header, prefix string) (Object, []*Error) {
	k, gvErr := lookupKind(h)
	key := Key{Kind: h.Kind, Namespace: h.Namespace, Name: h.Name}
	switch {
	case k != nil && !k.namespaced:
		key.Namespace = ""
	case key.Namespace == "" && (k != nil || gvErr == nil):
		key.Namespace = DefaultNamespace
	}
	if gvErr != nil {
		e := positioned(origin, key, n, *gvErr, prefix)
		e.Reason = gvErr.reason
		return Object{}, []*Error{e}
	}
	if k == nil {
		o, errs := decodeForeign(origin, n, h, key, prefix)
		for _, e := range errs {
			e.Reason = ReasonForeign
		}
		return o, errs
	}
	obj := k.newObject()
	fes := decodeInto(n, h, obj)
	if obj.GetName() == "" {
		fes = append(fes, fieldError{field: "metadata.name", msg: "name is required"})
	}
	var errs []*Error
	if len(fes) > 0 {
		errs = positionedAll(origin, key, n, fes, prefix)
	}
	if !onlyUnknownFields(errs) {
		return Object{}, errs
	}
	normalize(obj, k)
	return Object{Key: KeyOf(obj), Origin: origin, Resource: obj}, errs
}

// decodeInto fills obj from n: Kubernetes kinds through their JSON form,
// Istio kinds' spec and status straight into the proto messages.
func decodeInto(n *yaml.Node, h header, obj Resource) []fieldError {
	spec := specOf(obj)
	var skip []string
	if spec != nil {
		skip = []string{"spec", "status"}
	}
	raw, err := nodeJSON(n, skip...)
	if err != nil {
		return []fieldError{{msg: err.Error()}}
	}
	if h.Kind != "" && !bytes.Contains(raw, []byte(`"kind"`)) { // list items may leave them out
		raw = withTypeMeta(raw, h)
	}
	fes := strictUnmarshal(raw, obj)
	if spec == nil {
		return fes
	}
	if s := child(n, "spec"); s != nil && !isNull(s) {
		specErrs := decodeProto(s, spec, "spec")
		onKey(specErrs, locate(n, "spec"), "spec")
		fes = append(fes, specErrs...)
	}
	if s := child(n, "status"); s != nil && !isNull(s) {
		statusErrs := decodeProto(s, statusOf(obj), "status")
		onKey(statusErrs, locate(n, "status"), "status")
		fes = append(fes, statusErrs...)
	}
	return fes
}

func withTypeMeta(raw []byte, h header) []byte {
	tm := fmt.Sprintf(`{"apiVersion":%q,"kind":%q`, h.APIVersion, h.Kind)
	if string(raw) == "{}" {
		return []byte(tm + "}")
	}
	return append([]byte(tm+","), raw[1:]...)
}

// decodeForeign decodes a Kubernetes kind weft does not read: strictly into
// client-go's type when there is one, else as an unstructured object.
func decodeForeign(origin Origin, n *yaml.Node, h header, key Key, prefix string) (Object, []*Error) {
	raw, err := nodeJSON(n)
	if err != nil {
		return Object{}, []*Error{positioned(origin, key, n, fieldError{msg: err.Error()}, prefix)}
	}
	gvk := schema.FromAPIVersionAndKind(h.APIVersion, h.Kind)
	var obj Resource
	if typed, err := scheme.Scheme.New(gvk); err == nil {
		if r, ok := typed.(Resource); ok {
			obj = r
		}
	}
	if obj == nil {
		obj = &unstructured.Unstructured{}
	}
	if fes := strictUnmarshal(raw, obj); len(fes) > 0 {
		return Object{}, positionedAll(origin, key, n, fes, prefix)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	if obj.GetName() == "" && obj.GetGenerateName() == "" {
		return Object{}, []*Error{positioned(origin, key, n, fieldError{field: "metadata.name", msg: "name is required"}, prefix)}
	}
	return Object{Key: key, Origin: origin, Resource: obj}, nil
}

// positioned turns a fieldError into an Error at the line and column of
// the field (found in the document's node tree when the decoder did not
// say), with prefix added to the field path.
func positioned(origin Origin, key Key, n *yaml.Node, fe fieldError, prefix string) *Error {
	e := NewError(origin, key, prefix+fe.field, fe.msg)
	if fe.line == 0 {
		if at := locate(n, fe.field); at != nil {
			fe.line, fe.col = at.Line, at.Column
		}
	}
	if fe.line > 0 {
		e.Line, e.Column = fe.line, fe.col
	}
	return e
}

func positionedAll(origin Origin, key Key, n *yaml.Node, fes []fieldError, prefix string) []*Error {
	errs := make([]*Error, len(fes))
	for i, fe := range fes {
		errs[i] = positioned(origin, key, n, fe, prefix)
	}
	return errs
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

// fieldError is a message about one field, before it is tied to a file;
// line and col are 0 when the decoder does not know them.
type fieldError struct {
	field, msg string
	line, col  int
	reason     string // for Error.Reason
}

// lookupKind finds the kind a header names. It returns nil and no error
// for kinds of groups outside istio.io, which are foreign objects; an
// unknown kind in an istio.io group is an error.
func lookupKind(h header) (*kind, *fieldError) {
	if h.APIVersion == "" {
		return nil, &fieldError{field: "apiVersion", msg: "apiVersion is required"}
	}
	if h.Kind == "" {
		return nil, &fieldError{field: "kind", msg: "kind is required"}
	}
	gv, err := schema.ParseGroupVersion(h.APIVersion)
	if err != nil {
		return nil, &fieldError{field: "apiVersion", msg: fmt.Sprintf("invalid apiVersion %q: %v", h.APIVersion, err)}
	}
	k, ok := kindsByName[h.Kind]
	if !ok || k.group != gv.Group {
		if !isIstioGroup(gv.Group) {
			return nil, nil
		}
		return nil, &fieldError{field: "kind", msg: fmt.Sprintf("unknown kind %q in apiVersion %q", h.Kind, h.APIVersion), reason: ReasonUnknownKind}
	}
	if !k.serves(gv.Version) {
		return nil, &fieldError{field: "apiVersion", msg: fmt.Sprintf("%s does not serve %s (served: %s)",
			h.APIVersion, h.Kind, strings.Join(k.versions, ", ")), reason: ReasonUnknownKind}
	}
	return k, nil
}

func isIstioGroup(group string) bool {
	return group == "istio.io" || strings.HasSuffix(group, ".istio.io")
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
			out = append(out, fieldError{msg: e.Error()})
			continue
		}
		// "unknown field \"spec.x\"" -> "unknown field"; the path goes in Field.
		msg := strings.TrimSuffix(fe.Error(), " "+strconv.Quote(fe.FieldPath()))
		out = append(out, fieldError{field: fe.FieldPath(), msg: msg})
	}
	return out
}

// typeError describes a value of the wrong JSON type. The strict decoder
// names the field without list indexes (spec.http.route.weight), so the
// exact path is recovered from the offset the standard decoder reports.
func typeError(raw []byte, obj Resource, err error) fieldError {
	m := typeErrRE.FindStringSubmatch(err.Error())
	if m == nil {
		return fieldError{msg: strings.TrimPrefix(err.Error(), "json: ")}
	}
	fe := fieldError{field: m[2], msg: fmt.Sprintf("wrong type: got %s, want %s", m[1], m[3])}
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
