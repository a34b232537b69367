// Package health is weft-agent's status port (15020, as Istio's): the
// kubelet's app probes, rewritten by the injector to
// /app-health/<container>/<kind>, are re-issued here against the app on
// localhost, where mesh mTLS does not apply; /healthz/ready reports the
// agent's own readiness.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/weftmesh/weft/contract"
)

// AppProbersEnv carries the original probes, as the injector writes them.
const AppProbersEnv = contract.EnvAppProbers

// Prober is one original HTTP probe, keyed by its rewritten path.
type Prober struct {
	HTTPGet        *corev1.HTTPGetAction `json:"httpGet"`
	TimeoutSeconds int32                 `json:"timeoutSeconds,omitempty"`
}

// Options configures the status server.
type Options struct {
	// Addr is where to listen, e.g. ":15020".
	Addr string
	// AppProbers is the JSON of ISTIO_KUBE_APP_PROBERS (may be empty).
	AppProbers string
	// Ready reports whether the agent can serve (a certificate is issued).
	Ready  func() bool
	Logger *slog.Logger
}

// ParseProbers decodes ISTIO_KUBE_APP_PROBERS, refusing probes the agent
// could not run rather than failing them at probe time.
func ParseProbers(js string) (map[string]Prober, error) {
	out := map[string]Prober{}
	if strings.TrimSpace(js) == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(js), &out); err != nil {
		return nil, fmt.Errorf("%s: %w", AppProbersEnv, err)
	}
	for path, p := range out {
		if !strings.HasPrefix(path, "/app-health/") || p.HTTPGet == nil || p.HTTPGet.Port.IntValue() <= 0 {
			return nil, fmt.Errorf("%s: probe %q needs an /app-health/ path and an httpGet with a numeric port", AppProbersEnv, path)
		}
	}
	return out, nil
}

// Handler serves the status endpoints.
func Handler(probers map[string]Prober, ready func() bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz/ready", func(w http.ResponseWriter, _ *http.Request) {
		if ready != nil && !ready() {
			http.Error(w, "no workload certificate yet", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /app-health/", func(w http.ResponseWriter, r *http.Request) {
		p, ok := probers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(probe(r.Context(), p))
	})
	return mux
}

// probe runs the original HTTP probe against the app on localhost and
// returns the status to give the kubelet: the app's own on success (as
// the kubelet counts 200–399 as success), 503 on failure.
func probe(ctx context.Context, p Prober) int {
	timeout := time.Duration(max(p.TimeoutSeconds, 1)) * time.Second
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, probeURL(p.HTTPGet), nil)
	if err != nil {
		return http.StatusServiceUnavailable
	}
	for _, h := range p.HTTPGet.HTTPHeaders {
		req.Header.Add(h.Name, h.Value)
	}
	client := http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return http.StatusServiceUnavailable
	}
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return resp.StatusCode
	}
	return http.StatusServiceUnavailable
}

func probeURL(h *corev1.HTTPGetAction) string {
	scheme := "http"
	if h.Scheme == corev1.URISchemeHTTPS {
		scheme = "https"
	}
	path := h.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return scheme + "://" + net.JoinHostPort("localhost", strconv.Itoa(h.Port.IntValue())) + path
}

// Serve runs the status server until ctx ends.
func Serve(ctx context.Context, o Options) error {
	probers, err := ParseProbers(o.AppProbers)
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("status port: %w", err)
	}
	srv := &http.Server{Handler: Handler(probers, o.Ready), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if o.Logger != nil {
		o.Logger.Info("status port serving", "addr", lis.Addr().String(), "app_probes", len(probers))
	}
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("status port: %w", err)
	}
	return nil
}
