package debug

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/server"
)

const clusterType = "type.googleapis.com/envoy.config.cluster.v3.Cluster"

// fakeSource serves one connected proxy, "sidecar~a", with two clusters
// and a listener.
type fakeSource struct{ readiness }

func (fakeSource) Status() []server.ProxyStatus {
	return []server.ProxyStatus{{ID: "sidecar~a", Kind: xds.KindSidecar, Namespace: "shop", Streams: 1}}
}

func (fakeSource) Resources(id string) (xds.Resources, bool) {
	if id != "sidecar~a" {
		return nil, false
	}
	res := xds.Resources{}
	res.Add(clusterType, &clusterv3.Cluster{Name: "outbound|80||b"})
	res.Add(clusterType, &clusterv3.Cluster{Name: "outbound|80||a"})
	res.Add("type.googleapis.com/envoy.config.listener.v3.Listener", &listenerv3.Listener{Name: "virtualOutbound"})
	return res, true
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

func TestSyncz(t *testing.T) {
	rec := get(t, Handler(fakeSource{true}, prometheus.NewRegistry()), "/debug/syncz")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /debug/syncz: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var got []server.ProxyStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("syncz is not a JSON list of proxy statuses: %v\n%s", err, rec.Body)
	}
	if len(got) != 1 || got[0].ID != "sidecar~a" || got[0].Namespace != "shop" || got[0].Kind != xds.KindSidecar {
		t.Errorf("syncz = %+v", got)
	}
}

func TestConfigDump(t *testing.T) {
	h := Handler(fakeSource{true}, prometheus.NewRegistry())
	for _, tt := range []struct {
		path string
		code int
		body string
	}{
		{"/debug/config_dump", http.StatusBadRequest, "proxy=NODE_ID"},
		{"/debug/config_dump?proxy=sidecar~gone", http.StatusNotFound, "sidecar~gone is not connected"},
	} {
		rec := get(t, h, tt.path)
		if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.body) {
			t.Errorf("GET %s: %d %q, want %d containing %q", tt.path, rec.Code, rec.Body, tt.code, tt.body)
		}
	}

	rec := get(t, h, "/debug/config_dump?proxy=sidecar~a")
	if rec.Code != http.StatusOK {
		t.Fatalf("config_dump: %d %s", rec.Code, rec.Body)
	}
	var dump map[string][]map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &dump); err != nil {
		t.Fatalf("config_dump is not JSON keyed by type: %v\n%s", err, rec.Body)
	}
	var names []string
	for _, c := range dump[clusterType] {
		names = append(names, c["name"].(string))
	}
	// Resources are listed in name order, as xds.Resources.List returns them.
	if strings.Join(names, " ") != "outbound|80||a outbound|80||b" {
		t.Errorf("clusters in dump: %v", names)
	}
	if len(dump) != 2 {
		t.Errorf("dump has %d types, want cluster and listener only: %v", len(dump), dump)
	}
}

// The debug mux serves readiness and metrics too; other methods and paths
// are refused.
func TestDebugHandlerRoutes(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "weft_test_total", Help: "test"}))
	h := Handler(fakeSource{false}, reg)
	if rec := get(t, h, "/metrics"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "weft_test_total 0") {
		t.Errorf("/metrics: %d %s", rec.Code, rec.Body)
	}
	if rec := get(t, h, "/ready"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/ready before a mesh is served: %d", rec.Code)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/debug/syncz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /debug/syncz: %d, want 405", rec.Code)
	}
}
