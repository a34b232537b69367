package corpus

import (
	"os"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/weftmesh/weft/apis/support"
	"github.com/weftmesh/weft/pilot/config"
)

// The corpus sets every field Istio's API reference documents for the kinds
// weft implements — each field of each message the spec reaches, as the
// reference lists them (a TrafficPolicy field counts wherever a
// TrafficPolicy is set) — so the verdicts cover the whole schema, not a
// sample. A field counts when some document that decodes sets it (a few
// fields istioctl always rejects only appear in invalid documents).
func TestCorpusCoversEveryField(t *testing.T) {
	set := map[string]bool{}
	for _, path := range corpusFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		objs, _ := config.Decode(path, data)
		for _, o := range objs {
			if spec := config.Spec(o.Resource); spec != nil {
				collect(spec.ProtoReflect(), set)
			}
		}
	}
	for _, kind := range support.Kinds() {
		if !config.Implemented(kind) {
			continue
		}
		var missing []string
		all := fieldsOf(support.SpecMessage(kind).ProtoReflect().Descriptor(), map[protoreflect.FullName]bool{})
		if len(all) < 5 {
			t.Errorf("%s: only %d fields reachable: the walk is broken", kind, len(all))
		}
		for _, f := range all {
			if !set[f] {
				missing = append(missing, f)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s: %d fields are set by no corpus document: %s", kind, len(missing), strings.Join(missing, ", "))
		}
	}
}

// collect adds "message.field" for every field set in m and below.
func collect(m protoreflect.Message, out map[string]bool) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		out[fieldID(fd)] = true
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				collect(v.List().Get(i).Message(), out)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				collect(mv.Message(), out)
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil && !isWellKnown(fd.Message()):
			collect(v.Message(), out)
		}
		return true
	})
}

// fieldsOf lists "message.field" for every field reachable from md.
func fieldsOf(md protoreflect.MessageDescriptor, seen map[protoreflect.FullName]bool) []string {
	if seen[md.FullName()] || isWellKnown(md) {
		return nil
	}
	seen[md.FullName()] = true
	var out []string
	for i := 0; i < md.Fields().Len(); i++ {
		fd := md.Fields().Get(i)
		out = append(out, fieldID(fd))
		if fd.IsMap() {
			fd = fd.MapValue()
		}
		if fd.Message() != nil {
			out = append(out, fieldsOf(fd.Message(), seen)...)
		}
	}
	return out
}

func fieldID(fd protoreflect.FieldDescriptor) string {
	return string(fd.ContainingMessage().Name()) + "." + fd.JSONName()
}

func isWellKnown(md protoreflect.MessageDescriptor) bool {
	return strings.HasPrefix(string(md.FullName()), "google.protobuf.")
}
