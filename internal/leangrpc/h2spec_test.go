package leangrpc

import (
	"encoding/xml"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/weftmesh/weft/tests/harness"
)

// raceWithAnswer are h2spec cases that send a request, then a frame that
// is an error on that request's stream, and expect the error before any
// answer. This server refuses h2spec's requests (GET, or no gRPC
// content-type) as soon as it reads them, so it may answer first; a case
// here may pass or fail and is reported, not failed.
var raceWithAnswer = map[string]bool{
	"http2/5.1|half closed (remote): Sends a HEADERS frame":                                                                                              true,
	"http2/5.1.2|Sends HEADERS frames that causes their advertised concurrent stream limit to be exceeded":                                               true,
	"http2/6.9|Sends a WINDOW_UPDATE frame with a flow control window increment of 0 on a stream":                                                        true,
	"http2/6.9.1|Sends multiple WINDOW_UPDATE frames increasing the flow control window to above 2^31-1 on a stream":                                     true,
	`http2/8.1.2.6|Sends a HEADERS frame with the "content-length" header field which does not equal the DATA frame payload length`:                      true,
	`http2/8.1.2.6|Sends a HEADERS frame with the "content-length" header field which does not equal the sum of the multiple DATA frames payload length`: true,
}

// TestHTTP2Conformance runs h2spec, an independent HTTP/2 conformance
// suite, against the transport: RFC 9113's and RFC 7541's (HPACK) cases.
// Its "generic" cases expect a response body to a GET and do not apply to
// a gRPC server.
func TestHTTP2Conformance(t *testing.T) {
	addr := testServer(t, Options{})
	host, port, _ := net.SplitHostPort(addr)
	report := filepath.Join(t.TempDir(), "h2spec.xml")
	tools, err := filepath.Abs("../../tools/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "-modfile="+tools, "h2spec", "http2", "hpack", "-h", host, "-p", port, "-o", "3", "-j", report)
	out, runErr := cmd.CombinedOutput()
	b, err := os.ReadFile(report)
	if err != nil {
		harness.Missing(t, "h2spec (go tool -modfile=tools/go.mod h2spec) gave no report: %v %v\n%s", runErr, err, out)
	}
	var r h2specReport
	if err := xml.Unmarshal(b, &r); err != nil {
		t.Fatalf("h2spec report: %v", err)
	}
	passed := 0
	for _, s := range r.Suites {
		for _, c := range s.Cases {
			key := c.Package + "|" + c.Name
			switch {
			case c.Skipped != nil:
			case c.Failure == nil && c.Error == nil:
				passed++
			case raceWithAnswer[key]:
				t.Logf("h2spec %s: answered before the error frame was read", key)
			default:
				t.Errorf("h2spec %s failed: %s%s", key, c.Failure.text(), c.Error.text())
			}
		}
	}
	if passed < 90 {
		t.Errorf("h2spec: %d cases passed, want at least 90 of its ~100\n%s", passed, out)
	}
}

type h2specReport struct {
	Suites []struct {
		Cases []struct {
			Package string       `xml:"package,attr"`
			Name    string       `xml:"classname,attr"`
			Failure *h2specIssue `xml:"failure"`
			Error   *h2specIssue `xml:"error"`
			Skipped *struct{}    `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

type h2specIssue struct {
	Text string `xml:",chardata"`
}

func (i *h2specIssue) text() string {
	if i == nil {
		return ""
	}
	return i.Text
}
