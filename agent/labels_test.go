package agent_test

import (
	"maps"
	"testing"

	"github.com/weftmesh/weft/agent"
)

func TestParseLabels(t *testing.T) {
	got, err := agent.ParseLabels([]byte("app=\"reviews\"\nversion=\"v1\"\n\nsecurity.istio.io/tlsMode=\"istio\"\nquote=\"a\\\"b\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"app": "reviews", "version": "v1", "security.istio.io/tlsMode": "istio", "quote": `a"b`}
	if !maps.Equal(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
	for _, bad := range []string{"novalue", "app=reviews", "=\"x\""} {
		if _, err := agent.ParseLabels([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
