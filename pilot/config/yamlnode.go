package config

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// maxNodes bounds how many nodes one document may expand to through YAML
// aliases, so a small file cannot make weft hold gigabytes.
const maxNodes = 1 << 20

// parseNode parses one YAML (or JSON) document into a node tree whose
// lines count from the document's first line, first.
func parseNode(body []byte, first int) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	shiftLines(&doc, first-1)
	return doc.Content[0], nil
}

func shiftLines(n *yaml.Node, by int) {
	if by == 0 {
		return
	}
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// resolve follows aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// jsonWriter renders a node tree as JSON, the form Kubernetes' decoders
// take, counting nodes to bound alias expansion.
type jsonWriter struct {
	buf   bytes.Buffer
	nodes int
}

// nodeJSON renders n as JSON, leaving out the top-level keys in skip.
func nodeJSON(n *yaml.Node, skip ...string) ([]byte, error) {
	w := &jsonWriter{}
	if err := w.value(n, skip); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

func (w *jsonWriter) value(n *yaml.Node, skip []string) error {
	n = resolve(n)
	if w.nodes++; w.nodes > maxNodes {
		return fmt.Errorf("line %d: document expands to more than %d nodes (YAML aliases)", n.Line, maxNodes)
	}
	switch n.Kind {
	case yaml.MappingNode:
		return w.mapping(n, skip)
	case yaml.SequenceNode:
		w.buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			if err := w.value(c, nil); err != nil {
				return err
			}
		}
		w.buf.WriteByte(']')
		return nil
	default:
		return w.scalar(n)
	}
}

func (w *jsonWriter) mapping(n *yaml.Node, skip []string) error {
	w.buf.WriteByte('{')
	first := true
	for _, kv := range mappingPairs(n) {
		if slicesContains(skip, kv.key.Value) {
			continue
		}
		if !first {
			w.buf.WriteByte(',')
		}
		first = false
		appendJSONString(&w.buf, kv.key.Value)
		w.buf.WriteByte(':')
		if err := w.value(kv.value, nil); err != nil {
			return err
		}
	}
	w.buf.WriteByte('}')
	return nil
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// pair is one key/value of a mapping.
type pair struct{ key, value *yaml.Node }

// mappingPairs lists n's keys and values with YAML merge keys ("<<")
// expanded: keys written in n win over merged ones.
func mappingPairs(n *yaml.Node) []pair {
	var out []pair
	var merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			merged = append(merged, mergedPairs(resolve(v))...)
			continue
		}
		out = append(out, pair{k, v})
	}
	for _, m := range merged {
		if !hasKey(out, m.key.Value) {
			out = append(out, m)
		}
	}
	return out
}

func mergedPairs(v *yaml.Node) []pair {
	if v.Kind == yaml.MappingNode {
		return mappingPairs(v)
	}
	var out []pair
	for _, c := range v.Content { // a list of mappings to merge
		if c = resolve(c); c.Kind == yaml.MappingNode {
			out = append(out, mappingPairs(c)...)
		}
	}
	return out
}

func hasKey(ps []pair, key string) bool {
	for _, p := range ps {
		if p.key.Value == key {
			return true
		}
	}
	return false
}

func (w *jsonWriter) scalar(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		w.buf.WriteString("null")
	case "!!bool":
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		w.buf.WriteString(strconv.FormatBool(b))
	case "!!int":
		i, err := parseYAMLInt(n.Value)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		w.buf.WriteString(i)
	case "!!float":
		f, err := parseYAMLFloat(n.Value)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		w.buf.WriteString(f)
	default: // !!str, !!timestamp, !!binary and custom tags keep their text
		appendJSONString(&w.buf, n.Value)
	}
	return nil
}

// parseYAMLInt renders a YAML integer (decimal, 0x, 0o) as a JSON number.
func parseYAMLInt(s string) (string, error) {
	clean := strings.ReplaceAll(s, "_", "")
	if strings.HasPrefix(clean, "0o") || strings.HasPrefix(clean, "-0o") || strings.HasPrefix(clean, "+0o") {
		clean = strings.Replace(clean, "0o", "0", 1)
	}
	if i, err := strconv.ParseInt(clean, 0, 64); err == nil {
		return strconv.FormatInt(i, 10), nil
	}
	if u, err := strconv.ParseUint(strings.TrimPrefix(clean, "+"), 0, 64); err == nil {
		return strconv.FormatUint(u, 10), nil
	}
	return "", fmt.Errorf("integer %s out of range", s)
}

func parseYAMLFloat(s string) (string, error) {
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", fmt.Errorf("number %s cannot be represented in JSON", s)
	}
	return strconv.FormatFloat(f, 'g', -1, 64), nil
}

// appendJSONString writes s as a JSON string literal.
func appendJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// locate finds the node a field path (spec.http[0].route[1].weight,
// metadata.labels.app.kubernetes.io/name) points at: the key's node for a
// mapping entry, so an unknown field is reported where it is written. It
// returns the deepest node it could reach.
func locate(root *yaml.Node, path string) *yaml.Node {
	at, _ := locateDeepest(root, path)
	return at
}

// locateDeepest is locate that also returns the part of path it could not
// follow ("" when the whole path is written in the document).
func locateDeepest(root *yaml.Node, path string) (*yaml.Node, string) {
	n, at := resolve(root), root
	for path != "" {
		var next, key *yaml.Node
		var rest string
		switch {
		case path[0] == '[':
			next, key, rest = locateIndex(n, path)
		default:
			next, key, rest = locateKey(n, strings.TrimPrefix(path, "."))
		}
		if next == nil {
			return at, path
		}
		n, at, path = resolve(next), key, rest
	}
	return at, ""
}

// locateIndex steps into "[i]" (a list item) or "[key]" (a map entry).
func locateIndex(n *yaml.Node, path string) (next, at *yaml.Node, rest string) {
	end := strings.IndexByte(path, ']')
	if end < 0 || n == nil {
		return nil, nil, ""
	}
	sel, rest := path[1:end], path[end+1:]
	if n.Kind == yaml.SequenceNode {
		i, err := strconv.Atoi(sel)
		if err != nil || i < 0 || i >= len(n.Content) {
			return nil, nil, ""
		}
		return n.Content[i], n.Content[i], rest
	}
	next, at, _ = locateKey(n, sel)
	return next, at, rest
}

// locateKey steps into the longest key of mapping n that path starts with,
// since keys (labels, annotations) may themselves hold dots.
func locateKey(n *yaml.Node, path string) (next, at *yaml.Node, rest string) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil, ""
	}
	best := -1
	for _, kv := range mappingPairs(n) {
		k := kv.key.Value
		if strings.HasPrefix(path, k) && (len(path) == len(k) || path[len(k)] == '.' || path[len(k)] == '[') &&
			len(k) > best {
			best, next, at, rest = len(k), kv.value, kv.key, path[len(k):]
		}
	}
	return next, at, rest
}
