package config

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// protoDecoder fills a proto message straight from a YAML node tree,
// accepting what Istio's JSON decoding (jsonpb) accepts — JSON or proto
// field names, enum names or numbers, quoted numbers, Go durations — but
// strictly: every unknown field, wrong type and bad enum value is an error
// at its own line and column, and decoding goes on to find the others.
type protoDecoder struct {
	errs  []fieldError
	nodes int
}

// decodeProto decodes n into m, returning every problem found; path is the
// field path of n (e.g. "spec").
func decodeProto(n *yaml.Node, m proto.Message, path string) []fieldError {
	d := &protoDecoder{}
	d.message(n, m.ProtoReflect(), path)
	return d.errs
}

func (d *protoDecoder) fail(n *yaml.Node, path, format string, args ...any) {
	fe := fieldError{field: path, msg: fmt.Sprintf(format, args...)}
	if n != nil {
		fe.line, fe.col = n.Line, n.Column
	}
	d.errs = append(d.errs, fe)
}

// wrongType reports a value of the wrong YAML/JSON type.
func (d *protoDecoder) wrongType(n *yaml.Node, path, want string) {
	d.fail(n, path, "wrong type: got %s, want %s", describeNode(n), want)
}

func describeNode(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "list"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "number " + n.Value
	case "!!bool":
		return "boolean " + n.Value
	case "!!null":
		return "null"
	}
	return strconv.Quote(n.Value)
}

func (d *protoDecoder) message(n *yaml.Node, m protoreflect.Message, path string) {
	n = resolve(n)
	if d.nodes++; d.nodes > maxNodes {
		d.fail(n, path, "document expands to more than %d nodes (YAML aliases)", maxNodes)
		return
	}
	if wk := wellKnown[m.Descriptor().FullName()]; wk != nil {
		wk(d, n, m, path)
		return
	}
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "object")
		return
	}
	seen := map[protoreflect.FieldNumber]bool{}
	for _, kv := range mappingPairs(n) {
		d.member(kv, m, seen, path)
	}
}

// member decodes one key/value of a message.
func (d *protoDecoder) member(kv pair, m protoreflect.Message, seen map[protoreflect.FieldNumber]bool, path string) {
	fields := m.Descriptor().Fields()
	p := joinPath(path, kv.key.Value)
	fd := fields.ByJSONName(kv.key.Value)
	if fd == nil {
		fd = fields.ByName(protoreflect.Name(kv.key.Value))
	}
	switch {
	case fd == nil:
		d.fail(kv.key, p, "unknown field")
		return
	case seen[fd.Number()]:
		d.fail(kv.key, p, "field %s is set twice", fd.JSONName())
		return
	}
	seen[fd.Number()] = true
	if isNull(kv.value) && !nullIsValue(fd) {
		return
	}
	if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() {
		if other := m.WhichOneof(o); other != nil {
			d.fail(kv.key, p, "only one of %s may be set; %s is set too", oneofNames(o), other.JSONName())
			return
		}
	}
	before := len(d.errs)
	d.field(kv.value, m, fd, p)
	onKey(d.errs[before:], kv.key, p)
}

// onKey moves errors about the value at path itself (not about what it
// holds) to the line of its key when the value starts on a later line, as
// a block list or mapping does: the field is written on the key's line.
func onKey(errs []fieldError, key *yaml.Node, path string) {
	for i := range errs {
		if e := &errs[i]; e.field == path && key != nil && e.line > key.Line {
			e.line, e.col = key.Line, key.Column
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func oneofNames(o protoreflect.OneofDescriptor) string {
	names := make([]string, o.Fields().Len())
	for i := range names {
		names[i] = o.Fields().Get(i).JSONName()
	}
	return strings.Join(names, ", ")
}

// nullIsValue: for google.protobuf.Value (and NullValue) null is a value,
// not "unset".
func nullIsValue(fd protoreflect.FieldDescriptor) bool {
	if fd.IsList() || fd.IsMap() {
		return false
	}
	if md := fd.Message(); md != nil {
		return md.FullName() == "google.protobuf.Value"
	}
	return fd.Enum() != nil && fd.Enum().FullName() == "google.protobuf.NullValue"
}

func (d *protoDecoder) field(n *yaml.Node, m protoreflect.Message, fd protoreflect.FieldDescriptor, path string) {
	switch {
	case fd.IsList():
		d.list(resolve(n), m.Mutable(fd).List(), fd, path)
	case fd.IsMap():
		d.mapField(resolve(n), m.Mutable(fd).Map(), fd, path)
	case fd.Message() != nil:
		d.message(n, m.Mutable(fd).Message(), path)
	default:
		if v, ok := d.scalar(n, fd, path); ok {
			m.Set(fd, v)
		}
	}
}

func (d *protoDecoder) list(n *yaml.Node, l protoreflect.List, fd protoreflect.FieldDescriptor, path string) {
	if n.Kind != yaml.SequenceNode {
		d.wrongType(n, path, "list")
		return
	}
	for i, c := range n.Content {
		p := path + "[" + strconv.Itoa(i) + "]"
		if fd.Message() != nil {
			el := l.NewElement()
			d.message(c, el.Message(), p)
			l.Append(el)
		} else if v, ok := d.scalar(c, fd, p); ok {
			l.Append(v)
		}
	}
}

func (d *protoDecoder) mapField(n *yaml.Node, mp protoreflect.Map, fd protoreflect.FieldDescriptor, path string) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "object")
		return
	}
	for _, kv := range mappingPairs(n) {
		p := path + "[" + kv.key.Value + "]"
		key, ok := d.mapKey(kv.key, fd.MapKey(), p)
		if !ok {
			continue
		}
		before := len(d.errs)
		if fd.MapValue().Message() != nil {
			v := mp.NewValue()
			d.message(kv.value, v.Message(), p)
			mp.Set(key, v)
		} else if v, ok := d.scalar(kv.value, fd.MapValue(), p); ok {
			mp.Set(key, v)
		}
		onKey(d.errs[before:], kv.key, p)
	}
}

func (d *protoDecoder) mapKey(k *yaml.Node, fd protoreflect.FieldDescriptor, path string) (protoreflect.MapKey, bool) {
	if fd.Kind() == protoreflect.StringKind {
		return protoreflect.ValueOfString(k.Value).MapKey(), true
	}
	quoted := *k
	quoted.Tag = "!!str" // map keys arrive as strings in JSON; parse them as such
	v, ok := d.scalar(&quoted, fd, path)
	if !ok {
		return protoreflect.MapKey{}, false
	}
	return v.MapKey(), true
}

// scalar decodes a non-message value of fd's kind.
func (d *protoDecoder) scalar(n *yaml.Node, fd protoreflect.FieldDescriptor, path string) (protoreflect.Value, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		d.wrongType(n, path, kindName(fd))
		return protoreflect.Value{}, false
	}
	v, err := scalarValue(n, fd)
	if err != nil {
		d.fail(n, path, "%s", err.Error())
		return protoreflect.Value{}, false
	}
	return v, true
}

func kindName(fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return "boolean"
	case protoreflect.StringKind, protoreflect.BytesKind:
		return "string"
	case protoreflect.EnumKind:
		return "one of " + enumNames(fd.Enum())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return "number"
	}
	return "integer"
}

func enumNames(ed protoreflect.EnumDescriptor) string {
	names := make([]string, ed.Values().Len())
	for i := range names {
		names[i] = string(ed.Values().Get(i).Name())
	}
	return strings.Join(names, ", ")
}

func scalarValue(n *yaml.Node, fd protoreflect.FieldDescriptor) (protoreflect.Value, error) {
	tag := n.ShortTag()
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return boolValue(n)
	case protoreflect.StringKind:
		if tag != "!!str" && tag != "!!timestamp" {
			return protoreflect.Value{}, fmt.Errorf("wrong type: got %s, want string", describeNode(n))
		}
		return protoreflect.ValueOfString(n.Value), nil
	case protoreflect.BytesKind:
		b, err := base64.StdEncoding.DecodeString(n.Value)
		if err != nil || tag != "!!str" {
			return protoreflect.Value{}, fmt.Errorf("wrong type: got %s, want base64 string", describeNode(n))
		}
		return protoreflect.ValueOfBytes(b), nil
	case protoreflect.EnumKind:
		return enumValue(n, fd.Enum())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return floatValue(n, fd.Kind())
	}
	return intValue(n, fd.Kind())
}

// boolValue accepts YAML booleans, including YAML 1.1's yes/no/on/off,
// which Kubernetes' YAML reader (and so istioctl) also reads as booleans.
func boolValue(n *yaml.Node) (protoreflect.Value, error) {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on", "y":
			return protoreflect.ValueOfBool(true), nil
		case "false", "no", "off", "n":
			return protoreflect.ValueOfBool(false), nil
		}
	}
	return protoreflect.Value{}, fmt.Errorf("wrong type: got %s, want boolean", describeNode(n))
}

func enumValue(n *yaml.Node, ed protoreflect.EnumDescriptor) (protoreflect.Value, error) {
	if n.ShortTag() == "!!int" {
		i, err := strconv.ParseInt(n.Value, 0, 32)
		if err == nil {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(i)), nil
		}
	}
	if vd := ed.Values().ByName(protoreflect.Name(n.Value)); vd != nil && n.ShortTag() == "!!str" {
		return protoreflect.ValueOfEnum(vd.Number()), nil
	}
	return protoreflect.Value{}, fmt.Errorf("unknown value %s: want one of %s", describeNode(n), enumNames(ed))
}

// intValue accepts numbers and, as jsonpb does, quoted numbers.
func intValue(n *yaml.Node, k protoreflect.Kind) (protoreflect.Value, error) {
	tag := n.ShortTag()
	if tag != "!!int" && tag != "!!str" {
		return protoreflect.Value{}, fmt.Errorf("wrong type: got %s, want integer", describeNode(n))
	}
	s, err := parseYAMLInt(n.Value)
	if err != nil {
		return protoreflect.Value{}, fmt.Errorf("wrong type: got %s, want integer", describeNode(n))
	}
	bits, unsigned := intBits(k)
	if unsigned {
		u, err := strconv.ParseUint(s, 10, bits)
		if err != nil {
			return protoreflect.Value{}, fmt.Errorf("value %s out of range for an unsigned %d-bit integer", n.Value, bits)
		}
		if bits == 32 {
			return protoreflect.ValueOfUint32(uint32(u)), nil
		}
		return protoreflect.ValueOfUint64(u), nil
	}
	i, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return protoreflect.Value{}, fmt.Errorf("value %s out of range for a %d-bit integer", n.Value, bits)
	}
	if bits == 32 {
		return protoreflect.ValueOfInt32(int32(i)), nil
	}
	return protoreflect.ValueOfInt64(i), nil
}

func intBits(k protoreflect.Kind) (bits int, unsigned bool) {
	switch k {
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return 32, true
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return 64, true
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return 64, false
	}
	return 32, false
}

func floatValue(n *yaml.Node, k protoreflect.Kind) (protoreflect.Value, error) {
	f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	switch n.Value {
	case "NaN", "Infinity", "-Infinity":
		f, err = strconv.ParseFloat(strings.TrimSuffix(n.Value, "inity"), 64)
	}
	tag := n.ShortTag()
	if err != nil || (tag != "!!int" && tag != "!!float" && tag != "!!str") {
		return protoreflect.Value{}, fmt.Errorf("wrong type: got %s, want number", describeNode(n))
	}
	if k == protoreflect.FloatKind {
		if math.Abs(f) > math.MaxFloat32 && !math.IsInf(f, 0) {
			return protoreflect.Value{}, fmt.Errorf("value %s out of range for a float", n.Value)
		}
		return protoreflect.ValueOfFloat32(float32(f)), nil
	}
	return protoreflect.ValueOfFloat64(f), nil
}

// wellKnown decodes the well-known types that have their own JSON form.
var wellKnown = map[protoreflect.FullName]func(d *protoDecoder, n *yaml.Node, m protoreflect.Message, path string){
	"google.protobuf.Duration":    (*protoDecoder).duration,
	"google.protobuf.Timestamp":   (*protoDecoder).timestamp,
	"google.protobuf.Struct":      (*protoDecoder).structValue,
	"google.protobuf.Value":       (*protoDecoder).structValue,
	"google.protobuf.ListValue":   (*protoDecoder).structValue,
	"google.protobuf.BoolValue":   (*protoDecoder).wrapper,
	"google.protobuf.StringValue": (*protoDecoder).wrapper,
	"google.protobuf.BytesValue":  (*protoDecoder).wrapper,
	"google.protobuf.Int32Value":  (*protoDecoder).wrapper,
	"google.protobuf.Int64Value":  (*protoDecoder).wrapper,
	"google.protobuf.UInt32Value": (*protoDecoder).wrapper,
	"google.protobuf.UInt64Value": (*protoDecoder).wrapper,
	"google.protobuf.FloatValue":  (*protoDecoder).wrapper,
	"google.protobuf.DoubleValue": (*protoDecoder).wrapper,
	"google.protobuf.Empty":       (*protoDecoder).empty,
}

// duration takes Go duration syntax ("1m30s", "500ms"), as Istio does.
func (d *protoDecoder) duration(n *yaml.Node, m protoreflect.Message, path string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		d.fail(n, path, "wrong type: got %s, want a duration string such as \"1s\" or \"500ms\"", describeNode(n))
		return
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		d.fail(n, path, "invalid duration %q: want a number with a unit such as \"1s\", \"500ms\", \"1m30s\"", n.Value)
		return
	}
	proto.Merge(m.Interface(), durationpb.New(v))
}

func (d *protoDecoder) timestamp(n *yaml.Node, m protoreflect.Message, path string) {
	t, err := time.Parse(time.RFC3339Nano, n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		d.fail(n, path, "invalid timestamp %s: want RFC 3339, such as 2026-01-02T15:04:05Z", describeNode(n))
		return
	}
	proto.Merge(m.Interface(), timestamppb.New(t))
}

func (d *protoDecoder) wrapper(n *yaml.Node, m protoreflect.Message, path string) {
	fd := m.Descriptor().Fields().ByName("value")
	if v, ok := d.scalar(n, fd, path); ok {
		m.Set(fd, v)
	}
}

func (d *protoDecoder) empty(n *yaml.Node, _ protoreflect.Message, path string) {
	if n.Kind != yaml.MappingNode || len(n.Content) != 0 {
		d.wrongType(n, path, "{}")
	}
}

// structValue decodes free-form JSON (Struct, Value, ListValue).
func (d *protoDecoder) structValue(n *yaml.Node, m protoreflect.Message, path string) {
	raw, err := nodeJSON(n)
	if err != nil {
		d.fail(n, path, "%s", err.Error())
		return
	}
	var v structpb.Value
	if err := v.UnmarshalJSON(raw); err != nil {
		d.fail(n, path, "invalid value: %v", err)
		return
	}
	var target proto.Message = &v
	switch m.Descriptor().FullName() {
	case "google.protobuf.Struct":
		s := v.GetStructValue()
		if s == nil {
			d.wrongType(n, path, "object")
			return
		}
		target = s
	case "google.protobuf.ListValue":
		l := v.GetListValue()
		if l == nil {
			d.wrongType(n, path, "list")
			return
		}
		target = l
	}
	proto.Merge(m.Interface(), target)
}
