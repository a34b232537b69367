package analysis

import (
	"testing"
)

// Validation errors know only a field path; Validate puts them at the
// line and column of the field, as decode errors are, in plain
// multi-document files and inside Lists alike.
func TestValidateLocatesNestedField(t *testing.T) {
	const dr = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: shop}
spec:
  host: reviews
  subsets:
  - name: v1
    trafficPolicy:
      connectionPool:
        tcp: {maxConnections: -1}
`
	const okVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ok, namespace: shop}
spec: {hosts: [ok], http: [{route: [{destination: {host: ok}}]}]}
`
	const list = `apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: ok, namespace: shop}
  spec: {hosts: [ok], http: [{route: [{destination: {host: ok}}]}]}
- apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata: {name: bad, namespace: shop}
  spec:
    hosts: [bad]
    http:
    - route:
      - destination: {host: bad}
        weight: -10
`
	for _, tc := range []struct {
		name, data, want string
	}{
		{"second document, after a comment-only one", "# leading comment\n---\n" + okVS + "---\n" + dr,
			"Error [IST0106] f.yaml:17:15 (document 2): DestinationRule shop/reviews: spec.subsets[0].trafficPolicy.connectionPool.tcp.maxConnections: must not be negative, got -1"},
		{"List item", list,
			"Error [IST0106] f.yaml:16:9 (document 1): VirtualService shop/bad: items[1].spec.http[0].route[0].weight: weight must not be negative, got -10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs := Validate([]Input{{Name: "f.yaml", Data: []byte(tc.data)}})
			if len(msgs) != 1 || msgs[0].String() != tc.want {
				t.Fatalf("got %v\nwant %s", msgs, tc.want)
			}
			if r := msgs[0].Record(); r.Line != msgs[0].Err.Line || r.Column != msgs[0].Err.Column {
				t.Errorf("record %d:%d, message %d:%d", r.Line, r.Column, msgs[0].Err.Line, msgs[0].Err.Column)
			}
		})
	}
}

// Analyzer findings are placed the same way.
func TestAnalyzeLocatesFields(t *testing.T) {
	for _, m := range Analyze(readInputs(t, "testdata/analyze/clean.yaml", "testdata/analyze/host-not-found.yaml"), Options{}) {
		if m.Err.Field != "" && m.Err.Column == 0 {
			t.Errorf("%s: no column", m)
		}
	}
}
