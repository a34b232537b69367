package support

import (
	"bytes"
	"fmt"
	"strings"
)

// Counts tallies the levels of one proxy kind's column.
type Counts struct{ Supported, Partial, Unsupported int }

func (c *Counts) add(l Level) {
	switch l {
	case Supported:
		c.Supported++
	case Partial:
		c.Partial++
	default:
		c.Unsupported++
	}
}

// Summary counts, per proxy kind, the levels of every field path of kind
// (Paths), each rated by its own row or the subtree above it.
func Summary(kind string) map[ProxyKind]Counts {
	out := map[ProxyKind]Counts{}
	for _, key := range Paths(kind) {
		e, _ := Lookup(kind, key)
		for _, p := range ProxyKinds {
			c := out[p]
			c.add(e.For(p))
			out[p] = c
		}
	}
	return out
}

// Markdown renders the table as docs/support.md.
func Markdown() []byte {
	var b bytes.Buffer
	b.WriteString(mdIntro)
	b.WriteString("\n## Summary\n\nField paths per level (supported / partial / unsupported), counting every path of the spec.\n\n")
	b.WriteString("| kind | group | fields | sidecar | proxyless | gateway | kind as a whole |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, kind := range Kinds() {
		s := Summary(kind)
		whole, _ := KindSupport(kind)
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %d | %s | %s | %s | %s |\n", kind, strings.ToLower(kind), Group(kind), len(Paths(kind)),
			countCell(s[Sidecar]), countCell(s[Proxyless]), countCell(s[Gateway]), cell(whole.Note))
	}
	for _, kind := range Kinds() {
		kindSection(&b, kind)
	}
	return b.Bytes()
}

const mdIntro = `# Istio API support in weft

<!-- Generated from apis/support by go test ./apis/support -update; do not edit. -->

Which fields of each Istio kind weft acts on, per proxy kind: Envoy sidecars, proxyless gRPC
clients and servers, and Envoy gateways. **Supported** means the configuration weft sends that proxy
kind carries the field's effect; **partial** means it does with the difference in the note;
**unsupported** means the field is accepted but has no effect there. A field that is only validated
counts as unsupported.

weft configures no gateway proxies (the Gateway kind is not translated), so the gateway column is
unsupported throughout.

Paths use the spec's JSON field names: ` + "`a.b`" + ` is field b of a, ` + "`a[]`" + ` a list (` + "`a[].b`" + ` a field of each
element), ` + "`a{}`" + ` a map (` + "`a{}.b`" + ` a field of each value). A row marked *(and below)* rates everything
under its path, including fields a later Istio version adds; any other row rates its own field only.
`

func countCell(c Counts) string {
	return fmt.Sprintf("%d / %d / %d", c.Supported, c.Partial, c.Unsupported)
}

// kindSection lists kind's rows in spec field order.
func kindSection(b *bytes.Buffer, kind string) {
	fmt.Fprintf(b, "\n## %s\n\n%s, spec message `%s`.\n\n", kind, Group(kind), SpecMessage(kind).ProtoReflect().Descriptor().FullName())
	b.WriteString("| path | sidecar | proxyless | gateway | note |\n| --- | --- | --- | --- | --- |\n")
	ix := indexes[kind]
	for _, key := range append([]string{""}, Paths(kind)...) {
		r, ok := ix.lookup(key)
		if !ok || r.key != key {
			continue // covered by a subtree row already listed
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", pathCell(r), r.entry.Sidecar, r.entry.Proxyless, r.entry.Gateway, cell(r.entry.Note))
	}
}

func pathCell(r row) string {
	p := "`" + r.key + "`"
	if r.key == "" {
		p = "*(whole kind)*"
	}
	if r.subtree {
		p += " *(and below)*"
	}
	return p
}

// cell escapes what would break a markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(s, "|", "\\|")
}
