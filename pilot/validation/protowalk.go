package validation

import (
	"sort"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateProto checks what holds for every field of every Istio spec,
// walking the message by reflection so that fields Istio adds later are
// checked without anyone remembering to: durations must be valid and not
// negative, and enums must hold a value the enum defines (the decoder
// takes enum numbers as they are, as jsonpb does).
func validateProto(p *field.Path, m proto.Message) field.ErrorList {
	w := &protoWalker{}
	w.message(p, m.ProtoReflect())
	return w.errs
}

type protoWalker struct{ errs field.ErrorList }

// message visits m's set fields in declaration order, so errors come out
// in a stable order (Range's order is unspecified).
func (w *protoWalker) message(p *field.Path, m protoreflect.Message) {
	if d, ok := m.Interface().(*durationpb.Duration); ok {
		w.errs = append(w.errs, validateDuration(p, d)...)
		return
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		if fd := fields.Get(i); m.Has(fd) {
			w.field(p.Child(fd.JSONName()), fd, m.Get(fd))
		}
	}
}

func (w *protoWalker) field(p *field.Path, fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch {
	case fd.IsList():
		l := v.List()
		for i := range l.Len() {
			w.value(p.Index(i), fd, l.Get(i))
		}
	case fd.IsMap():
		w.mapField(p, fd, v.Map())
	default:
		w.value(p, fd, v)
	}
}

func (w *protoWalker) mapField(p *field.Path, fd protoreflect.FieldDescriptor, m protoreflect.Map) {
	keys := make([]protoreflect.MapKey, 0, m.Len())
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		w.value(p.Key(k.String()), fd.MapValue(), m.Get(k))
	}
}

// value checks one value of fd's type (a list element or map value too).
func (w *protoWalker) value(p *field.Path, fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch {
	case fd.Message() != nil:
		w.message(p, v.Message())
	case fd.Enum() != nil:
		if fd.Enum().Values().ByNumber(v.Enum()) == nil {
			w.errs = append(w.errs, invalid(p, int32(v.Enum()), "unknown value %d for %s", v.Enum(), fd.Enum().Name()))
		}
	}
}

// validateDuration rejects negative durations, which Go's duration syntax
// accepts but no Istio timeout or interval means, and values outside
// what a proto Duration may hold (only possible for objects built in code).
func validateDuration(p *field.Path, d *durationpb.Duration) field.ErrorList {
	if err := d.CheckValid(); err != nil {
		return field.ErrorList{invalid(p, d.String(), "invalid duration: %v", err)}
	}
	if v := d.AsDuration(); v < 0 {
		return field.ErrorList{invalid(p, v.String(), "invalid duration %q: must not be negative", v.String())}
	}
	return nil
}
