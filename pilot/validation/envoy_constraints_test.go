package validation

import (
	"strings"
	"testing"
)

// Envoy refuses a route whose header names or values, redirect or rewrite
// hold CR, LF or NUL, and with it the whole route configuration of the
// port. Validation must refuse such a VirtualService first (issue 16).
func TestRejectsWhatEnvoyRefuses(t *testing.T) {
	route := "    route: [{destination: {host: reviews}}]\n"
	tests := []struct {
		name, rule, field, message string
	}{
		{"CR LF in a set value", "  - headers: {request: {set: {x-a: \"a\\r\\nb\"}}}\n" + route,
			"spec.http[0].headers.request.set[x-a]", "control characters"},
		{"NUL in an added response header name", "  - headers: {response: {add: {\"x\\u0000\": v}}}\n" + route,
			"spec.http[0].headers.response.add[x\x00]", "not a valid HTTP header name"},
		{"LF in a removed header name", "  - headers: {request: {remove: [\"x\\nb\"]}}\n" + route,
			"spec.http[0].headers.request.remove[0]", "not a valid HTTP header name"},
		{"CR in a match header name", "  - match: [{headers: {\"x\\r\": {exact: a}}}]\n" + route,
			"spec.http[0].match[0].headers[x\r]", "header name"},
		{"LF in a redirect uri", "  - redirect: {uri: \"/a\\nb\"}\n",
			"spec.http[0].redirect.uri", "control characters"},
		{"CR in a redirect authority", "  - redirect: {authority: \"h\\r\"}\n",
			"spec.http[0].redirect.authority", "control characters"},
		{"NUL in a rewrite uri", "  - rewrite: {uri: \"/a\\u0000\"}\n" + route,
			"spec.http[0].rewrite.uri", "control characters"},
		{"LF in a rewrite authority", "  - rewrite: {authority: \"a\\nb\"}\n" + route,
			"spec.http[0].rewrite.authority", "control characters"},
		{"LF in a regex rewrite substitution", "  - rewrite: {uriRegexRewrite: {match: \"^/a\", rewrite: \"/b\\n\"}}\n" + route,
			"spec.http[0].rewrite.uriRegexRewrite.rewrite", "control characters"},
		{"lookahead is not RE2", "  - match: [{uri: {regex: \"a(?=b)\"}}]\n" + route,
			"spec.http[0].match[0].uri.regex", "invalid regex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateSnapshot(snapshotOf(t, "case.yaml", vsYAML(tt.rule)))
			for _, e := range errs {
				if e.Field == tt.field && strings.Contains(e.Message, tt.message) {
					return
				}
			}
			t.Fatalf("want an error at %s containing %q, got %v", tt.field, tt.message, errs)
		})
	}
}

// Characters Envoy accepts stay accepted: tab in a value, token
// characters in a name, %% escapes; and, as in Istio, a space in a name
// written by set/add.
func TestAcceptsWhatEnvoyAccepts(t *testing.T) {
	rule := "  - headers: {request: {set: {\"x-a_b.c~!#$&'*+^`|\": \"a\\tb 100%%\"}, remove: [x-gone], add: {\"x b\": v}}}\n" +
		"    rewrite: {uri: /v2, authority: reviews.example:8080}\n    route: [{destination: {host: reviews}}]\n"
	if errs := ValidateSnapshot(snapshotOf(t, "case.yaml", vsYAML(rule))); len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
}
