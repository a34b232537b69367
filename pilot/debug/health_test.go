package debug

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

type readiness bool

func (r readiness) Ready() bool { return bool(r) }

// The health handler is not ready until a mesh is served, and serves
// nothing but /ready and /healthz.
func TestHealthHandler(t *testing.T) {
	for _, tt := range []struct {
		ready bool
		path  string
		want  int
	}{
		{false, "/ready", http.StatusServiceUnavailable},
		{true, "/ready", http.StatusOK},
		{false, "/healthz", http.StatusOK},
		{true, "/debug/syncz", http.StatusNotFound},
		{true, "/metrics", http.StatusNotFound},
	} {
		rec := httptest.NewRecorder()
		HealthHandler(readiness(tt.ready)).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("ready=%v GET %s: %d, want %d", tt.ready, tt.path, rec.Code, tt.want)
		}
	}
}
