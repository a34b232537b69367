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
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/debug"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
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
	Source    Source
	XDSAddr   string
	DebugAddr string
	Debounce  DebounceOptions
	Logger    *slog.Logger
	// Status, if set, is told about errors and diagnostics.
	Status StatusReporter
	// Runners run alongside the server until ctx ends (leader election,
	// status writing); an error from one stops weftd.
	Runners []func(context.Context) error
}

// Run serves until ctx ends or a listener fails.
func Run(ctx context.Context, o Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	xdsServer := server.New(ctx, server.Options{Logger: o.Logger, Registry: reg})

	xdsLis, err := net.Listen("tcp", o.XDSAddr)
	if err != nil {
		return fmt.Errorf("xds listener: %w", err)
	}
	debugLis, err := net.Listen("tcp", o.DebugAddr)
	if err != nil {
		xdsLis.Close()
		return fmt.Errorf("debug listener: %w", err)
	}
	o.Logger.Info("weftd serving", "xds", xdsLis.Addr().String(), "debug", debugLis.Addr().String())

	tasks := append([]func(context.Context) error{
		func(ctx context.Context) error { return serveXDS(ctx, xdsLis, xdsServer) },
		func(ctx context.Context) error { return serveDebug(ctx, debugLis, debug.Handler(xdsServer, reg)) },
		func(ctx context.Context) error { return runPipeline(ctx, o, xdsServer) },
	}, o.Runners...)
	return runAll(ctx, cancel, tasks, o.Logger)
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
func runPipeline(ctx context.Context, o Options, xdsServer *server.Server) error {
	changes := make(chan *config.Snapshot, 1)
	version := 0
	logged := map[mesh.Diagnostic]bool{}
	go debounce(ctx, changes, o.Debounce, func(s *config.Snapshot) {
		version++
		start := time.Now()
		m := translate.Translate(s, strconv.Itoa(version))
		logged = logNewDiagnostics(o.Logger, m.Diagnostics, logged)
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
		if !before[d] {
			log.Warn("config warning", "resource", d.Ref.String(), "field", d.Field, "reason", d.Reason, "message", d.Message)
		}
	}
	return now
}

func serveXDS(ctx context.Context, lis net.Listener, xdsServer *server.Server) error {
	g := grpc.NewServer(
		grpc.MaxConcurrentStreams(1<<20),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		// Proxies are mostly idle connections whose requests are small ACKs:
		// a 4 KiB read buffer instead of 32 KiB saves ~280 MB at 10,000
		// proxies (write buffers are already pooled between writes).
		grpc.ReadBufferSize(4<<10),
	)
	xdsServer.Register(g)
	go func() {
		<-ctx.Done()
		g.Stop()
	}()
	if err := g.Serve(lis); err != nil && ctx.Err() == nil {
		return fmt.Errorf("xds server: %w", err)
	}
	return ctx.Err()
}

func serveDebug(ctx context.Context, lis net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("debug server: %w", err)
	}
	return ctx.Err()
}
