package support

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Path notation, relative to a resource's spec and using JSON field names:
//
//	a.b       field b of message field a
//	a[]       list field a; a[].b is field b of each element
//	a{}       map field a; a{}.b is field b of each value
//
// Concrete paths (Finding.Path) put the index or key inside the brackets:
// http[0].match[1].headers{x-user}.exact. The empty path is the spec itself.

// join appends a field's key segment to a parent path.
func join(parent string, fd protoreflect.FieldDescriptor) string {
	seg := fd.JSONName()
	switch {
	case fd.IsList():
		seg += "[]"
	case fd.IsMap():
		seg += "{}"
	}
	if parent == "" {
		return seg
	}
	return parent + "." + seg
}

// elemMessage is the message a field leads into (the element of a list,
// the value of a map), or nil when the walk stops at the field.
func elemMessage(fd protoreflect.FieldDescriptor) protoreflect.MessageDescriptor {
	if fd.IsMap() {
		fd = fd.MapValue()
	}
	md := fd.Message()
	if md == nil || isLeafMessage(md) {
		return nil
	}
	return md
}

// isLeafMessage: well-known types carry values, not API fields weft could
// support one by one, so the table treats them as leaves.
func isLeafMessage(md protoreflect.MessageDescriptor) bool {
	return strings.HasPrefix(string(md.FullName()), "google.protobuf.")
}

// walkPaths calls fn for every field path under md, parents before
// children, in declaration order. A message already on the current branch
// is not entered again, so recursive types end the walk instead of looping.
func walkPaths(md protoreflect.MessageDescriptor, parent string, onBranch map[protoreflect.FullName]bool, fn func(string)) {
	onBranch[md.FullName()] = true
	defer delete(onBranch, md.FullName())
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		p := join(parent, fd)
		fn(p)
		if sub := elemMessage(fd); sub != nil && !onBranch[sub.FullName()] {
			walkPaths(sub, p, onBranch, fn)
		}
	}
}

// Paths lists every field path reachable from kind's spec in table-key
// notation, parents first; nil for an unknown kind.
func Paths(kind string) []string {
	m := SpecMessage(kind)
	if m == nil {
		return nil
	}
	var out []string
	walkPaths(m.ProtoReflect().Descriptor(), "", map[protoreflect.FullName]bool{}, func(p string) { out = append(out, p) })
	return out
}

// KeyFor converts a concrete path of kind (http[0].match[1].headers{x}.exact,
// or a whole list or map without brackets: tls) to its table key; ok is
// false when a segment names no field of the spec.
func KeyFor(kind, path string) (string, bool) {
	m := SpecMessage(kind)
	if m == nil {
		return "", false
	}
	md := m.ProtoReflect().Descriptor()
	key := ""
	for rest := path; rest != ""; {
		name, next, ok := cutSegment(rest)
		if !ok || md == nil {
			return "", false
		}
		fd := md.Fields().ByJSONName(name)
		if fd == nil {
			return "", false
		}
		key, md, rest = join(key, fd), elemMessage(fd), next
	}
	return key, true
}

// cutSegment splits "name[i].rest" (or {k}, or neither) into name and rest;
// ok is false on an unterminated bracket or a missing dot.
func cutSegment(s string) (name, rest string, ok bool) {
	i := strings.IndexAny(s, ".[{")
	if i < 0 {
		return s, "", s != ""
	}
	name, rest = s[:i], s[i:]
	if closer := map[byte]string{'[': "]", '{': "}"}[rest[0]]; closer != "" {
		j := strings.Index(rest, closer)
		if j < 0 {
			return "", "", false
		}
		rest = rest[j+1:]
	}
	if rest == "" {
		return name, "", name != ""
	}
	if rest[0] != '.' || len(rest) == 1 {
		return "", "", false
	}
	return name, rest[1:], name != ""
}
