package support_test

import (
	"strings"
	"testing"

	"github.com/weftmesh/weft/apis/support"
	"github.com/weftmesh/weft/pilot/golden"
)

// TestDocsFresh fails when docs/support.md is not what the table renders;
// go test ./apis/support -update rewrites it (refused under CI).
func TestDocsFresh(t *testing.T) {
	golden.Compare(t, "../../docs/support.md", support.Markdown())
}

func TestMarkdownContent(t *testing.T) {
	md := string(support.Markdown())
	for _, want := range []string{
		"| [VirtualService](#virtualservice) | networking.istio.io |",
		"| `http[].route[].weight` | supported | supported | unsupported |  |",
		"| `trafficPolicy.tunnel` *(and below)* | unsupported | unsupported | unsupported |",
		"| *(whole kind)* *(and below)* | unsupported | unsupported | unsupported | not supported by weft |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("docs lack %q", want)
		}
	}
	if strings.Contains(md, "`trafficPolicy.tunnel.protocol`") {
		t.Error("rows under a subtree are listed")
	}
}

func TestSummaryCountsEveryPath(t *testing.T) {
	for _, kind := range support.Kinds() {
		s := support.Summary(kind)
		for _, p := range support.ProxyKinds {
			c := s[p]
			if n := c.Supported + c.Partial + c.Unsupported; n != len(support.Paths(kind)) {
				t.Errorf("%s %s: %d counted, %d paths", kind, p, n, len(support.Paths(kind)))
			}
		}
	}
	if s := support.Summary("EnvoyFilter")[support.Sidecar]; s.Supported+s.Partial != 0 || s.Unsupported == 0 {
		t.Errorf("EnvoyFilter summary %+v", s)
	}
}
