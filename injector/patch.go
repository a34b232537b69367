package injector

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// PatchOp is one RFC 6902 operation.
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// CreatePatch returns the JSON patch turning before into after, at the
// granularity of second-level fields (/spec/containers, /metadata/labels):
// whole lists are replaced rather than diffed element by element, which
// keeps the patch obviously correct (no index arithmetic over concurrent
// admission mutations) at a small size cost. Output order is sorted, so
// the same input always gives the same patch.
func CreatePatch(before, after any) ([]PatchOp, error) {
	b, err := toMap(before)
	if err != nil {
		return nil, err
	}
	a, err := toMap(after)
	if err != nil {
		return nil, err
	}
	var ops []PatchOp
	for _, top := range unionKeys(b, a) {
		bm, bok := b[top].(map[string]any)
		am, aok := a[top].(map[string]any)
		if !bok || !aok {
			ops = appendDiff(ops, "/"+escape(top), b[top], a[top], hasKey(b, top), hasKey(a, top))
			continue
		}
		for _, k := range unionKeys(bm, am) {
			ops = appendDiff(ops, "/"+escape(top)+"/"+escape(k), bm[k], am[k], hasKey(bm, k), hasKey(am, k))
		}
	}
	return ops, nil
}

func appendDiff(ops []PatchOp, path string, before, after any, inBefore, inAfter bool) []PatchOp {
	switch {
	case inBefore && !inAfter:
		return append(ops, PatchOp{Op: "remove", Path: path})
	case !inBefore && inAfter:
		return append(ops, PatchOp{Op: "add", Path: path, Value: after})
	case inBefore && !reflect.DeepEqual(before, after):
		return append(ops, PatchOp{Op: "replace", Path: path, Value: after})
	}
	return ops
}

func toMap(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding object for patch: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decoding object for patch: %w", err)
	}
	return m, nil
}

func unionKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// escape is RFC 6901's: "~" → "~0", "/" → "~1" (labels contain "/").
func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
