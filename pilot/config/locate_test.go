package config

import "testing"

func TestLocate(t *testing.T) {
	yamlFile := `# comment
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r}
spec: {host: r}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: a}, weight: 110}
    - {destination: {host: b}, weight: -10}
`
	list := `apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata: {name: a}
  spec: {host: a}
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata: {name: b, namespace: shop}
  spec:
    host: b
`
	json := "{\n\t\"apiVersion\": \"networking.istio.io/v1\",\n\t\"kind\": \"DestinationRule\",\n\t\"metadata\": {\"name\": \"r\"},\n\t\"spec\": {\"host\": \"\"}\n}\n"
	for _, tc := range []struct {
		name, data string
		err        Error
		line, col  int
	}{
		{"field of the second document", yamlFile, Error{Doc: 1, Field: "spec.http[0].route[1].weight"}, 15, 32},
		{"list item element", yamlFile, Error{Doc: 1, Field: "spec.hosts[0]"}, 11, 11},
		{"missing field points at its parent", yamlFile, Error{Doc: 1, Field: "spec.http[0].retries.attempts"}, 13, 5},
		{"decode error inside a List", list, Error{Field: "items[1].spec.host"}, 12, 5},
		{"validation error inside a List, by name", list, Error{Kind: "DestinationRule", Namespace: "shop", Name: "b", Field: "spec.host"}, 12, 5},
		{"list item without namespace", list, Error{Kind: "DestinationRule", Namespace: "default", Name: "a", Field: "spec.host"}, 7, 10},
		{"JSON with tabs", json, Error{Field: "spec.host"}, 5, 11},
		{"no field: unchanged", yamlFile, Error{Doc: 1, Line: 7}, 7, 0},
		{"no such document: unchanged", yamlFile, Error{Doc: 5, Line: 3, Field: "spec.host"}, 3, 0},
		{"malformed document: unchanged", "a: [\n", Error{Line: 1, Field: "spec"}, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.err
			Locate([]byte(tc.data), &e)
			if e.Line != tc.line || e.Column != tc.col {
				t.Errorf("got %d:%d, want %d:%d", e.Line, e.Column, tc.line, tc.col)
			}
		})
	}
}

// Errors into the same document share one parse, and each lands on its own field.
func TestLocateSeveral(t *testing.T) {
	data := "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec:\n  host: r\n  subsets:\n  - name: v1\n  - name: v1\n"
	a, b := &Error{Field: "spec.host"}, &Error{Field: "spec.subsets[1].name"}
	Locate([]byte(data), a, b)
	if a.Line != 5 || a.Column != 3 || b.Line != 8 || b.Column != 5 {
		t.Errorf("got %d:%d and %d:%d, want 5:3 and 8:5", a.Line, a.Column, b.Line, b.Column)
	}
}

// A missing field is reported on its parent, under the parent's path; a
// field that is written keeps its path.
func TestLocateCutsMissingField(t *testing.T) {
	data := "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p}\nspec:\n  action: DENY\n  rules:\n  - when:\n    - values: [a]\n"
	for _, tc := range []struct{ field, want string }{
		{"spec.rules[0].when[0].key", "spec.rules[0].when[0]"},
		{"spec.rules[0].when[0].values[0]", "spec.rules[0].when[0].values[0]"},
		{"spec.provider.name", "spec"},
		{"items[0].spec.x", "items[0].spec.x"}, // no such item: left as it is
	} {
		e := &Error{Field: tc.field}
		Locate([]byte(data), e)
		if e.Field != tc.want {
			t.Errorf("%s: field %q, want %q", tc.field, e.Field, tc.want)
		}
	}
}
