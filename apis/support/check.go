package support

import (
	"fmt"
	"sort"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Finding is a field set in a spec that is not Supported for at least one
// proxy kind. Path is concrete (http[0].fault.delay, headers{x-user}; a
// whole list or map is named without brackets), Key is its table key
// (http[].fault.delay). Both are empty for a kind unsupported as a whole.
type Finding struct {
	Path, Key string
	Entry     Entry
}

func (f Finding) String() string {
	path := f.Path
	if path == "" {
		path = "(whole resource)"
	}
	return fmt.Sprintf("%s: sidecar %s, proxyless %s, gateway %s: %s", path, f.Entry.Sidecar, f.Entry.Proxyless, f.Entry.Gateway, f.Entry.Note)
}

// notInTable rates a set field the table does not know, which happens only
// with a spec message newer than the table: nothing vouches for it.
var notInTable = none("not in weft's support table")

// Check returns the findings for the fields set in spec, a spec message of
// kind: outermost first, in field declaration order, lists by index and
// maps by sorted key. Under an Unsupported subtree only its root is
// reported; a kind unsupported as a whole, or a spec of another message
// type, is one Unsupported finding with empty paths.
func Check(kind string, spec proto.Message) []Finding {
	ix, ok := indexes[kind]
	if !ok || spec == nil {
		return nil
	}
	if r, ok := ix.lookup(""); ok && r.subtree {
		return []Finding{{Entry: r.entry}}
	}
	if got, want := spec.ProtoReflect().Descriptor().FullName(), kinds[kind].specName(); got != want {
		// Rating another message's fields by this kind's table would mislead.
		return []Finding{{Entry: none(fmt.Sprintf("spec is a %s, not the %s of a %s", got, want, kind))}}
	}
	c := checker{ix: ix}
	c.message(spec.ProtoReflect(), "", "")
	return c.out
}

// CheckFor returns the findings of Check that are not Supported for p.
func CheckFor(kind string, spec proto.Message, p ProxyKind) []Finding {
	var out []Finding
	for _, f := range Check(kind, spec) {
		if f.Entry.For(p) != Supported {
			out = append(out, f)
		}
	}
	return out
}

// Lookup returns the entry rating a table key of kind, directly or through
// an Unsupported subtree above it.
func Lookup(kind, key string) (Entry, bool) {
	ix, ok := indexes[kind]
	if !ok {
		return Entry{}, false
	}
	r, ok := ix.lookup(key)
	return r.entry, ok
}

type checker struct {
	ix  *index
	out []Finding
}

// message visits the set fields of m; path and key name m itself.
func (c *checker) message(m protoreflect.Message, path, key string) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if m.Has(fd) {
			c.field(m.Get(fd), fd, dot(path, fd.JSONName()), join(key, fd))
		}
	}
}

// field reports the field when it is not supported everywhere and walks
// into it unless it is the root of an unsupported subtree.
func (c *checker) field(v protoreflect.Value, fd protoreflect.FieldDescriptor, path, key string) {
	r, ok := c.ix.lookup(key)
	if !ok {
		r = row{key: key, entry: notInTable, subtree: true}
	}
	if !r.entry.supportedByAll() {
		c.out = append(c.out, Finding{Path: path, Key: key, Entry: r.entry})
	}
	if r.subtree || elemMessage(fd) == nil {
		return
	}
	switch {
	case fd.IsList():
		l := v.List()
		for i := 0; i < l.Len(); i++ {
			c.message(l.Get(i).Message(), fmt.Sprintf("%s[%d]", path, i), key)
		}
	case fd.IsMap():
		for _, mk := range sortedMapKeys(v.Map()) {
			c.message(v.Map().Get(mk).Message(), fmt.Sprintf("%s{%s}", path, mk.String()), key)
		}
	default:
		c.message(v.Message(), path, key)
	}
}

func sortedMapKeys(m protoreflect.Map) []protoreflect.MapKey {
	var keys []protoreflect.MapKey
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	return keys
}

func dot(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}
