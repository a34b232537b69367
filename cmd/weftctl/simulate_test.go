package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftmesh/weft/pilot/golden"
)

// The sidecar of a client in the make run sample.
const sampleProxy = "sidecar~10.244.0.9~demo-client.default~default.svc.cluster.local"

const (
	v1Cluster = "outbound|9080|v1|reviews.default.svc.cluster.local"
	v2Cluster = "outbound|9080|v2|reviews.default.svc.cluster.local"
)

// On the make run sample: the test user's header takes the header-matched
// route to v2; everyone else gets the 90/10 split.
func TestSimulateSample(t *testing.T) {
	base := []string{"simulate", "-f", "../../samples/config", "--proxy", sampleProxy}
	out, errOut, code := runBoth(t, "", append(base, "GET", "http://reviews.default.svc.cluster.local:9080/reviews/1", "-H", "end-user: jason")...)
	if code != 0 || !strings.Contains(out, "jason-to-v2") || !strings.Contains(out, "result        "+v2Cluster+" (100.0%)") {
		t.Errorf("jason: exit %d, stderr %s, output:\n%s", code, errOut, out)
	}
	out, errOut, code = runBoth(t, "", append(base, "GET", "http://reviews.default.svc.cluster.local:9080/reviews/1", "--sample", "2000")...)
	for _, want := range []string{v1Cluster + " (90.0%)", v2Cluster + " (10.0%)", "1800 of 2000 requests to " + v1Cluster, "200 of 2000 requests to " + v2Cluster} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("split: exit %d, stderr %s, output lacks %q:\n%s", code, errOut, want, out)
		}
	}
}

func TestSimulateJSONGolden(t *testing.T) {
	out, errOut, code := runBoth(t, "", "simulate", "-f", "../../samples/config", "--proxy", sampleProxy, "-o", "json", "--sample", "2000",
		"GET", "http://reviews.default.svc.cluster.local:9080/reviews/1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden.Compare(t, "testdata/simulate-sample.json", []byte(out))
}

// Bad input gets a clear error, never a guessed answer.
func TestSimulateBadInput(t *testing.T) {
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.json")
	foreign := filepath.Join(dir, "foreign.json")
	must(t, os.WriteFile(truncated, []byte(`{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump", "dynamic_listeners": [`), 0o644))
	must(t, os.WriteFile(foreign, []byte(`{"kind": "Pod", "apiVersion": "v1"}`), 0o644))
	syncz := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("[]")) }))
	defer syncz.Close()
	url := "http://reviews.default:9080/"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"truncated dump", []string{"--config-dump", truncated, url}, "truncated.json"},
		{"foreign dump", []string{"--config-dump", foreign, url}, "foreign.json"},
		{"unknown pod", []string{"--pod", "default/nope", "--debug-addr", syncz.URL, url}, `no connected proxy "nope.default"`},
		{"malformed request", []string{"-f", "../../samples/config", "--proxy", sampleProxy, "reviews:9080"}, "want http://HOST[:PORT]/PATH"},
		{"no source", []string{url}, "exactly one of --pod, --config-dump or -f"},
		{"-f without --proxy", []string{"-f", "../../samples/config", url}, "-f needs --proxy"},
	} {
		_, errOut, code := runBoth(t, "", append([]string{"simulate"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want it to say %q", tc.name, code, errOut, tc.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
