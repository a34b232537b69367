package config

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// pathFrame is one open object or array while walking JSON tokens.
type pathFrame struct {
	array     bool
	index     int
	key       string
	expectKey bool
}

// jsonPathAt returns the field path (spec.http[0].route[1].weight) of the
// JSON value that ends at or spans byte offset off, or "" if none does.
func jsonPathAt(raw []byte, off int64) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var stack []*pathFrame
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		top := (*pathFrame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if key, ok := tok.(string); ok && top != nil && top.expectKey {
			top.key, top.expectKey = key, false
			continue
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			valueDone(stack)
			continue
		}
		if top != nil && top.array {
			top.index++
		}
		if dec.InputOffset() >= off {
			return renderPath(stack)
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &pathFrame{expectKey: true})
		case json.Delim('['):
			stack = append(stack, &pathFrame{array: true, index: -1})
		default:
			valueDone(stack)
		}
	}
}

// valueDone records that the value of the innermost object key was read.
func valueDone(stack []*pathFrame) {
	if len(stack) > 0 && !stack[len(stack)-1].array {
		stack[len(stack)-1].expectKey = true
	}
}

func renderPath(stack []*pathFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if f.array {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(f.key)
	}
	return b.String()
}
