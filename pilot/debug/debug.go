// Package debug serves weftd's introspection endpoints: /debug/syncz,
// /debug/config_dump and /metrics.
package debug

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/server"
)

// Source is what the debug endpoints read.
type Source interface {
	Readiness
	Status() []server.ProxyStatus
	Resources(nodeID string) (xds.Resources, bool)
}

// Handler returns the debug mux.
func Handler(src Source, gatherer prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/syncz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, src.Status())
	})
	mux.HandleFunc("GET /debug/config_dump", func(w http.ResponseWriter, r *http.Request) {
		configDump(w, r, src)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /ready", ready(src))
	// Profiles for the load measurements (docs/performance.md); the debug
	// address is loopback by default, as Istio's is.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	return mux
}

// Readiness says whether weftd serves a mesh yet.
type Readiness interface {
	Ready() bool
}

// HealthHandler serves only /ready (a mesh is being served) and /healthz
// (the process answers): nothing about proxies or config, so it may listen
// where the kubelet can reach it.
func HealthHandler(r Readiness) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ready", ready(r))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return mux
}

func ready(r Readiness) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if !r.Ready() {
			http.Error(w, "no mesh config served yet", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// configDump renders a proxy's resources, keyed by type URL, as JSON.
func configDump(w http.ResponseWriter, r *http.Request, src Source) {
	id := r.URL.Query().Get("proxy")
	if id == "" {
		http.Error(w, "query parameter proxy=NODE_ID is required", http.StatusBadRequest)
		return
	}
	res, ok := src.Resources(id)
	if !ok {
		http.Error(w, "proxy "+id+" is not connected", http.StatusNotFound)
		return
	}
	out := map[string][]json.RawMessage{}
	for _, t := range xds.TypeURLs {
		for _, item := range res.List(t) {
			b, err := protojson.Marshal(item)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			out[t] = append(out[t], b)
		}
	}
	writeJSON(w, out)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
