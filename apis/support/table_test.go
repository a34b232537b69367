package support

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	securityv1beta1 "istio.io/api/security/v1beta1"
)

// tableProblems lists what is wrong with rows as the table of the spec
// message md: paths without a rating, keys naming no path, duplicate keys,
// bad levels and subtrees that are not Unsupported.
func tableProblems(md protoreflect.MessageDescriptor, rows []row) []string {
	var paths []string
	walkPaths(md, "", map[protoreflect.FullName]bool{}, func(p string) { paths = append(paths, p) })
	var out []string
	ix := newIndex(rows)
	for _, p := range paths {
		if _, ok := ix.lookup(p); !ok {
			out = append(out, "no entry for "+p)
		}
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if r.key != "" && !slices.Contains(paths, r.key) {
			out = append(out, "entry names no field: "+r.key)
		}
		if seen[r.key] {
			out = append(out, "duplicate entry: "+r.key)
		}
		seen[r.key] = true
		out = append(out, entryProblems(r)...)
	}
	if !seen[""] {
		out = append(out, "no whole-kind entry")
	}
	return out
}

func entryProblems(r row) []string {
	var out []string
	for _, p := range ProxyKinds {
		l := r.entry.For(p)
		switch {
		case l < Supported || l > Unsupported:
			out = append(out, r.key+": no level for "+string(p))
		case l == Partial && r.entry.Note == "":
			out = append(out, r.key+": partial for "+string(p)+" without a note")
		case r.subtree && l != Unsupported:
			out = append(out, r.key+": a subtree entry must be unsupported for "+string(p))
		}
	}
	return out
}

// TestTableCoversEveryField walks every istio.io/api field reachable from
// each kind's spec: each needs its own entry or an Unsupported subtree
// above it, and each entry must name a real field.
func TestTableCoversEveryField(t *testing.T) {
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			m := SpecMessage(kind)
			if m == nil {
				t.Fatal("no spec message")
			}
			for _, p := range tableProblems(m.ProtoReflect().Descriptor(), kinds[kind].rows) {
				t.Error(p)
			}
		})
	}
	if len(kinds) != len(Kinds()) {
		t.Errorf("Kinds() lists %d kinds, the table has %d", len(Kinds()), len(kinds))
	}
}

// TestTableProblemsDetects proves the coverage test can fail: synthetic
// tables for PeerAuthentication with each kind of mistake.
func TestTableProblemsDetects(t *testing.T) {
	md := (&securityv1beta1.PeerAuthentication{}).ProtoReflect().Descriptor()
	ok := []row{
		{key: "", entry: both()},
		{key: "selector", entry: none("x"), subtree: true},
		{key: "mtls", entry: both()},
		{key: "mtls.mode", entry: both()},
		{key: "portLevelMtls{}", entry: both()},
		{key: "portLevelMtls{}.mode", entry: both()},
	}
	if p := tableProblems(md, ok); len(p) != 0 {
		t.Fatalf("a complete table has problems: %v", p)
	}
	cases := []struct {
		name string
		edit func([]row) []row
		want string
	}{
		{"missing field", func(r []row) []row { return slices.Delete(r, 3, 4) }, "no entry for mtls.mode"},
		{"supported parent does not cover", func(r []row) []row { return slices.Delete(r, 5, 6) }, "no entry for portLevelMtls{}.mode"},
		{"typo", func(r []row) []row { return append(r, row{key: "mtls.mod", entry: both()}) }, "entry names no field: mtls.mod"},
		{"duplicate", func(r []row) []row { return append(r, row{key: "mtls", entry: both()}) }, "duplicate entry: mtls"},
		{"no whole-kind entry", func(r []row) []row { return r[1:] }, "no whole-kind entry"},
		{"partial without note", func(r []row) []row { r[2].entry = mesh(part, yes, ""); return r }, "mtls: partial for sidecar without a note"},
		{"missing level", func(r []row) []row { r[2].entry.Gateway = 0; return r }, "mtls: no level for gateway"},
		{"supported subtree", func(r []row) []row { r[1].entry = both(); return r }, "selector: a subtree entry must be unsupported for sidecar"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tableProblems(md, c.edit(slices.Clone(ok)))
			if !slices.Contains(got, c.want) {
				t.Errorf("problems %q, want one to be %q", got, c.want)
			}
		})
	}
}

// TestWalkEndsOnRecursion: a message that contains itself is entered once
// per branch, so Paths terminates on any future recursive Istio type.
func TestWalkEndsOnRecursion(t *testing.T) {
	var paths []string
	walkPaths(recursiveMessage(t), "", map[protoreflect.FullName]bool{}, func(p string) { paths = append(paths, p) })
	want := []string{"name", "children[]", "leaf", "leaf.id"}
	if !slices.Equal(paths, want) {
		t.Errorf("paths %q, want %q", paths, want)
	}
}

// recursiveMessage is test.Node{name; repeated Node children; Leaf leaf},
// built at run time since no istio.io/api message recurses today.
func recursiveMessage(t *testing.T) protoreflect.MessageDescriptor {
	t.Helper()
	field := func(name string, n int32, typ descriptorpb.FieldDescriptorProto_Type, label descriptorpb.FieldDescriptorProto_Label, msg string) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), JsonName: proto.String(name), Number: proto.Int32(n), Type: typ.Enum(), Label: label.Enum()}
		if msg != "" {
			f.TypeName = proto.String(msg)
		}
		return f
	}
	opt, rep := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL, descriptorpb.FieldDescriptorProto_LABEL_REPEATED
	str, msg := descriptorpb.FieldDescriptorProto_TYPE_STRING, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	fdp := &descriptorpb.FileDescriptorProto{
		Name: proto.String("test/node.proto"), Package: proto.String("test"), Syntax: proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("Node"), Field: []*descriptorpb.FieldDescriptorProto{
				field("name", 1, str, opt, ""), field("children", 2, msg, rep, ".test.Node"), field("leaf", 3, msg, opt, ".test.Leaf")}},
			{Name: proto.String("Leaf"), Field: []*descriptorpb.FieldDescriptorProto{field("id", 1, str, opt, "")}},
		},
	}
	fd, err := protodesc.NewFile(fdp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fd.Messages().ByName("Node")
}

func TestLeafMessages(t *testing.T) {
	paths := Paths("VirtualService")
	if !slices.Contains(paths, "http[].timeout") || slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, "http[].timeout.") }) {
		t.Errorf("google.protobuf.Duration must be a leaf: %v", paths)
	}
}

// A set field the table does not know (a newer API than the table) is
// reported unsupported rather than passed over.
func TestCheckUnknownFieldIsUnsupported(t *testing.T) {
	c := checker{ix: newIndex([]row{{key: "", entry: both()}, {key: "mtls", entry: both()}})}
	pa := &securityv1beta1.PeerAuthentication{Mtls: &securityv1beta1.PeerAuthentication_MutualTLS{Mode: securityv1beta1.PeerAuthentication_MutualTLS_STRICT}}
	c.message(pa.ProtoReflect(), "", "")
	want := []Finding{{Path: "mtls", Key: "mtls", Entry: both()}, {Path: "mtls.mode", Key: "mtls.mode", Entry: notInTable}}
	if !slices.Equal(c.out, want) {
		t.Errorf("findings %+v, want %+v", c.out, want)
	}
}
