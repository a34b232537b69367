// Package bootstrap wires weftd's pipeline: config source → debounced
// snapshot → translate → per-proxy xDS server, plus the debug endpoints.
package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/weftmesh/weft/internal/leangrpc"
	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/debug"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds/guard"
	"github.com/weftmesh/weft/pilot/xds/server"
)

// Source delivers accepted config snapshots; file and Kubernetes sources
// implement it.
type Source interface {
	Run(ctx context.Context, onChange func(*config.Snapshot)) error
}

// StatusReporter receives, after each translation, the source's current
// errors and the translation's diagnostics (Kubernetes mode writes them
// into resource status).
type StatusReporter interface {
	Report(errs []*config.Error, diags []mesh.Diagnostic)
}

// errorSource is implemented by sources that keep their current errors.
type errorSource interface {
	Errors() []*config.Error
}

// Options configures weftd.
type Options struct {
	Source Source
	// XDSAddr (plaintext ADS), DebugAddr and HealthAddr: empty disables.
	XDSAddr, DebugAddr, HealthAddr string
	// Secure, if set, serves ADS over mutual TLS (and the CA).
	Secure *SecureOptions
	// TrustDomains are accepted in proxies' certificates.
	TrustDomains []string
	Debounce     DebounceOptions
	Logger       *slog.Logger
	// Status, if set, is told about errors and diagnostics.
	Status StatusReporter
	// Runners run alongside the server until ctx ends (leader election,
	// status writing); an error from one stops weftd.
	Runners []func(context.Context) error
	// Secrets, if set, makes the credential Secrets served over SDS;
	// onChange tells the server one changed (Kubernetes mode).
	Secrets func(ctx context.Context, onChange func()) server.SecretSource
	// Translate are the MeshConfig settings translation follows.
	Translate translate.Options
}

// Run serves until ctx ends or a listener fails.
func Run(ctx context.Context, o Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	xdsServer := server.New(ctx, server.Options{Logger: o.Logger, Registry: reg, TrustDomains: o.TrustDomains})
	if o.Secrets != nil {
		xdsServer.SetSecrets(o.Secrets(ctx, xdsServer.SecretsChanged))
	}
	listeners, err := listenAll(map[string]string{"xds": o.XDSAddr, "debug": o.DebugAddr, "health": o.HealthAddr})
	if err != nil {
		return err
	}
	rejected := newRejectedGauge(reg)
	tasks := []func(context.Context) error{func(ctx context.Context) error { return runPipeline(ctx, o, xdsServer, rejected) }}
	if lis := listeners["xds"]; lis != nil {
		g := leangrpc.NewServer(xdsServerOptions(o.Logger))
		xdsServer.Register(g)
		tasks = append(tasks, func(ctx context.Context) error { return serveGRPC(ctx, g, xdsServer.Listener(lis)) })
	}
	if lis := listeners["debug"]; lis != nil {
		tasks = append(tasks, func(ctx context.Context) error { return serveHTTP(ctx, lis, debug.Handler(xdsServer, reg)) })
	}
	if lis := listeners["health"]; lis != nil {
		tasks = append(tasks, func(ctx context.Context) error { return serveHTTP(ctx, lis, debug.HealthHandler(xdsServer)) })
	}
	if o.Secure != nil {
		tasks = append(tasks, func(ctx context.Context) error { return serveSecure(ctx, *o.Secure, xdsServer, o.Logger) })
	}
	o.Logger.Info("weftd serving", "xds", addrOf(listeners["xds"]), "debug", addrOf(listeners["debug"]), "health", addrOf(listeners["health"]))
	return runAll(ctx, cancel, append(tasks, o.Runners...), o.Logger)
}

// listenAll opens every non-empty address up front, so a taken port fails
// the start instead of a task later.
func listenAll(addrs map[string]string) (map[string]net.Listener, error) {
	out := map[string]net.Listener{}
	for name, addr := range addrs {
		if addr == "" {
			continue
		}
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range out {
				l.Close()
			}
			return nil, fmt.Errorf("%s listener: %w", name, err)
		}
		out[name] = lis
	}
	return out, nil
}

func addrOf(lis net.Listener) string {
	if lis == nil {
		return "off"
	}
	return lis.Addr().String()
}

// shutdownGrace bounds how long weftd waits for tasks after the first one
// ends, so the leader can release its Lease and a peer takes over at once.
const shutdownGrace = 5 * time.Second

// runAll runs tasks until one ends, then cancels the rest and waits for
// them (bounded), returning the first error.
func runAll(ctx context.Context, cancel context.CancelFunc, tasks []func(context.Context) error, log *slog.Logger) error {
	errc := make(chan error, len(tasks))
	for _, task := range tasks {
		go func() { errc <- task(ctx) }()
	}
	first := <-errc
	cancel()
	deadline := time.After(shutdownGrace)
	for range len(tasks) - 1 {
		select {
		case <-errc:
		case <-deadline:
			log.Warn("shutdown: tasks still running after grace period", "grace", shutdownGrace)
			return ignoreCanceled(first)
		}
	}
	return ignoreCanceled(first)
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// runPipeline translates each debounced snapshot and hands the mesh over.
func runPipeline(ctx context.Context, o Options, xdsServer *server.Server, rejected *prometheus.GaugeVec) error {
	changes := make(chan *config.Snapshot, 1)
	version := 0
	logged := map[mesh.Diagnostic]bool{}
	go debounce(ctx, changes, o.Debounce, func(s *config.Snapshot) {
		version++
		start := time.Now()
		// Before any proxy sees it: a resource whose output Envoy refuses is left out, not sent.
		m := guard.Translate(s, strconv.Itoa(version), o.Translate)
		logged = logNewDiagnostics(o.Logger, m.Diagnostics, logged)
		setRejected(rejected, m.Diagnostics)
		xdsServer.Update(m)
		reportStatus(o, m)
		o.Logger.Info("pushed config", "version", version, "services", len(m.Services), "took", time.Since(start))
	})
	err := o.Source.Run(ctx, func(s *config.Snapshot) {
		select {
		case changes <- s:
		case <-ctx.Done():
		}
	})
	if err == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	return fmt.Errorf("config source: %w", err)
}

func reportStatus(o Options, m *mesh.Mesh) {
	if o.Status == nil {
		return
	}
	var errs []*config.Error
	if es, ok := o.Source.(errorSource); ok {
		errs = es.Errors()
	}
	o.Status.Report(errs, m.Diagnostics)
}

// logNewDiagnostics logs diagnostics not logged for the previous config, so
// a warning appears once when introduced, not on every push.
func logNewDiagnostics(log *slog.Logger, diags []mesh.Diagnostic, before map[mesh.Diagnostic]bool) map[mesh.Diagnostic]bool {
	now := make(map[mesh.Diagnostic]bool, len(diags))
	for _, d := range diags {
		now[d] = true
		switch {
		case before[d]:
		case d.Rejected():
			log.Error("config rejected: resource left out for every proxy", "resource", d.Ref.String(), "field", d.Field, "reason", d.Reason, "message", d.Message)
		default:
			log.Warn("config warning", "resource", d.Ref.String(), "field", d.Field, "reason", d.Reason, "message", d.Message)
		}
	}
	return now
}

// maxStreamsPerConn bounds concurrent streams on one client connection.
const maxStreamsPerConn = 100

// xdsServerOptions suit many mostly idle proxy connections: weft's own
// transport holds one goroutine and no buffers per idle connection, where
// gRPC-Go's holds four goroutines and its transport state (~30 KB).
func xdsServerOptions(log *slog.Logger) leangrpc.Options {
	return leangrpc.Options{
		// A proxy needs one ADS stream (and the agent one CA call at a
		// time); a connection opening thousands only costs weftd memory.
		MaxConcurrentStreams: maxStreamsPerConn,
		KeepaliveTime:        30 * time.Second,
		KeepaliveTimeout:     10 * time.Second,
		MinPingInterval:      5 * time.Second,
		// Responses are framed around the resources' shared encoded bytes.
		Codec:  server.Codec(),
		Logger: log,
	}
}

func serveHTTP(ctx context.Context, lis net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server on %s: %w", lis.Addr(), err)
	}
	return ctx.Err()
}

// newRejectedGauge is weft_config_rejected_resources: how many resources
// of each kind the current config leaves out because they would produce
// configuration Envoy refuses (alert on > 0).
func newRejectedGauge(reg prometheus.Registerer) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "weft_config_rejected_resources",
		Help: "Resources of the current config left out for every proxy because they would produce configuration Envoy refuses, by kind."}, []string{"kind"})
	reg.MustRegister(g)
	return g
}

// setRejected replaces the gauge's values with the current config's, so a
// fixed resource's kind drops back to 0 rather than keeping its count.
func setRejected(g *prometheus.GaugeVec, diags []mesh.Diagnostic) {
	g.Reset()
	for _, kind := range guard.GuardedKinds { // present at 0, so alerts see the series
		g.WithLabelValues(kind).Set(0)
	}
	for _, ref := range guard.Rejected(diags) {
		g.WithLabelValues(ref.Kind).Inc()
	}
}
