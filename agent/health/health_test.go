package health

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// An app on loopback answers the original probe paths; the status port
// relays success and failure for the rewritten paths.
func TestAppProbesRelayed(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/ready" && r.Header.Get("X-Probe") == "yes":
			w.WriteHeader(http.StatusOK)
		case r.URL.Path == "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer app.Close()
	_, port, _ := net.SplitHostPort(app.Listener.Addr().String())
	probers, err := ParseProbers(fmt.Sprintf(`{
		"/app-health/web/readyz": {"httpGet": {"path": "/ready", "port": %[1]s, "httpHeaders": [{"name": "X-Probe", "value": "yes"}]}},
		"/app-health/web/livez": {"httpGet": {"path": "/broken", "port": %[1]s}},
		"/app-health/web/startupz": {"httpGet": {"path": "moved", "port": %[1]s}, "timeoutSeconds": 2}}`, port))
	if err != nil {
		t.Fatal(err)
	}
	ready := false
	status := httptest.NewServer(Handler(probers, func() bool { return ready }))
	defer status.Close()
	for path, want := range map[string]int{
		"/app-health/web/readyz":   http.StatusOK,
		"/app-health/web/livez":    http.StatusServiceUnavailable,
		"/app-health/web/startupz": http.StatusFound, // 3xx counts as success for the kubelet
		"/app-health/other/readyz": http.StatusNotFound,
		"/healthz/ready":           http.StatusServiceUnavailable,
	} {
		if got := get(t, status.URL+path); got != want {
			t.Errorf("%s: status %d, want %d", path, got, want)
		}
	}
	ready = true
	if got := get(t, status.URL+"/healthz/ready"); got != http.StatusOK {
		t.Errorf("/healthz/ready after the certificate: %d, want 200", got)
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	client := http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestParseProbersRejects(t *testing.T) {
	for _, js := range []string{
		`not json`,
		`{"/elsewhere": {"httpGet": {"path": "/", "port": 80}}}`,
		`{"/app-health/c/readyz": {}}`,
		`{"/app-health/c/readyz": {"httpGet": {"path": "/", "port": "http"}}}`,
	} {
		if _, err := ParseProbers(js); err == nil {
			t.Errorf("ParseProbers(%s) accepted", js)
		}
	}
}
