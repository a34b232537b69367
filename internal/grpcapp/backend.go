package grpcapp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/xds"
)

// stopGrace bounds how long Stop waits for in-flight RPCs before forcing.
const stopGrace = 5 * time.Second

// BackendOptions configure one xDS-enabled test server (one "pod").
type BackendOptions struct {
	Name           string            // returned to clients as SimpleResponse.ServerId, e.g. "reviews-v1"
	Addr           string            // loopback listen address, e.g. "127.0.0.2:9080"; port 0 picks one
	XDSAddr        string            // control plane ADS address
	PodName        string            // defaults to Name
	Namespace      string            // defaults to "default"
	Labels         map[string]string // LABELS node metadata, e.g. app=reviews, version=v1
	ServiceAccount string

	// FailFirstAttempt makes the first attempt of every call (keyed by the
	// x-call-id metadata) fail with codes.Unavailable; later attempts succeed.
	FailFirstAttempt bool
	// FailAll makes every UnaryCall fail with codes.Unavailable.
	FailAll bool
	// Memory remembers failed call ids; nil means a private one per backend.
	Memory *CallMemory

	// CertDir enables xDS-configured TLS (see BootstrapOptions.CertDir);
	// without TLS config from weftd the server stays plaintext.
	CertDir string
	// Bootstrap, if set, is the xDS bootstrap as weft-agent wrote it (the
	// production path); XDSAddr and the identity fields are then unused.
	Bootstrap []byte

	// Logf, if set, receives serving-mode changes (e.g. t.Logf).
	Logf func(format string, args ...any)
}

// Backend is a running xDS-enabled gRPC server answering grpc.testing.TestService.
type Backend struct {
	name     string
	addr     string
	server   *xds.GRPCServer
	svc      *testService
	mode     modeState
	done     chan struct{} // closed when Serve returns
	serveErr error         // what Serve returned; read only after done is closed
	once     sync.Once
}

// StartBackend starts an xDS-enabled server. It serves RPCs only once the
// control plane has delivered its inbound Listener; see WaitServing.
func StartBackend(ctx context.Context, opts BackendOptions) (*Backend, error) {
	if opts.Name == "" {
		return nil, errors.New("backend: Name is required")
	}
	if err := requireLoopback(opts.Addr); err != nil {
		return nil, fmt.Errorf("backend %s: %w", opts.Name, err)
	}
	lis, err := (&net.ListenConfig{}).Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("backend %s: listen: %w", opts.Name, err)
	}
	b, err := newBackend(opts, lis.Addr().String())
	if err != nil {
		lis.Close()
		return nil, err
	}
	go func() {
		b.serveErr = b.server.Serve(lis) // returns after Stop, or at once on a setup error
		close(b.done)
	}()
	return b, nil
}

// newBackend builds the server and its service for an already-bound address.
func newBackend(opts BackendOptions, addr string) (*Backend, error) {
	host, _, _ := net.SplitHostPort(addr)
	if opts.PodName == "" {
		opts.PodName = opts.Name
	}
	bs, err := orBootstrap(opts.Bootstrap, BootstrapOptions{
		XDSAddr: opts.XDSAddr, PodName: opts.PodName, Namespace: opts.Namespace,
		IP: host, Labels: opts.Labels, ServiceAccount: opts.ServiceAccount, CertDir: opts.CertDir,
	})
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", opts.Name, err)
	}
	b := &Backend{name: opts.Name, addr: addr, svc: newTestService(opts), done: make(chan struct{})}
	b.mode.init(opts.Name, opts.Logf)
	creds, err := serverCreds(opts.CertDir)
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", opts.Name, err)
	}
	srv, err := xds.NewGRPCServer(
		grpc.Creds(creds),
		xds.BootstrapContentsForTesting(bs),
		xds.ServingModeCallback(b.mode.callback),
	)
	if err != nil {
		return nil, fmt.Errorf("backend %s: new xDS server: %w", opts.Name, err)
	}
	testpb.RegisterTestServiceServer(srv, b.svc)
	b.server = srv
	return b, nil
}

// Name is the backend's name as reported to clients.
func (b *Backend) Name() string { return b.name }

// Addr is the actual listening address (IP:PORT).
func (b *Backend) Addr() string { return b.addr }

// ListenerName is the server Listener resource this backend asks the control plane for.
func (b *Backend) ListenerName() string { return fmt.Sprintf(ServerListenerTemplate, b.addr) }

// Served counts RPCs answered successfully.
func (b *Backend) Served() int64 { return b.svc.served.Load() }

// Failed counts attempts failed on purpose (FailAll, FailFirstAttempt).
func (b *Backend) Failed() int64 { return b.svc.failed.Load() }

// Mode returns the current serving mode and the error of the last NOT_SERVING transition.
func (b *Backend) Mode() (connectivity.ServingMode, error) { return b.mode.get() }

// WaitServing blocks until the server is SERVING (bounded by ctx, or 30s).
func (b *Backend) WaitServing(ctx context.Context) error {
	return b.mode.wait(ctx, connectivity.ServingModeServing, b.done, func() error { return b.serveErr })
}

// Stop stops the server gracefully, forcing it after a few seconds.
func (b *Backend) Stop() {
	b.once.Do(func() {
		graceful := make(chan struct{})
		go func() { b.server.GracefulStop(); close(graceful) }()
		select {
		case <-graceful:
		case <-time.After(stopGrace):
			b.server.Stop()
		}
		select {
		case <-b.done:
		case <-time.After(stopGrace):
		}
	})
}

// modeState tracks serving-mode changes and wakes waiters on each change.
type modeState struct {
	mu      sync.Mutex
	name    string
	logf    func(string, ...any)
	mode    connectivity.ServingMode
	err     error
	changed chan struct{}
}

func (m *modeState) init(name string, logf func(string, ...any)) {
	m.name, m.logf = name, logf
	m.mode = connectivity.ServingModeStarting
	m.changed = make(chan struct{})
}

// callback is the xds.ServingModeCallback; it must not block.
func (m *modeState) callback(addr net.Addr, args xds.ServingModeChangeArgs) {
	m.mu.Lock()
	m.mode, m.err = args.Mode, args.Err
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
	if m.logf != nil {
		m.logf("backend %s (%v): serving mode %v, err=%v", m.name, addr, args.Mode, args.Err)
	}
}

func (m *modeState) get() (connectivity.ServingMode, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mode, m.err
}

// wait returns once the mode is want, the server has stopped (done), or ctx ends.
func (m *modeState) wait(ctx context.Context, want connectivity.ServingMode, done <-chan struct{}, serveErr func() error) error {
	ctx, cancel := withDefaultTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		m.mu.Lock()
		mode, err, ch := m.mode, m.err, m.changed
		m.mu.Unlock()
		if mode == want {
			return nil
		}
		select {
		case <-ch:
		case <-done:
			return fmt.Errorf("backend %s: server stopped while waiting for %v: %v", m.name, want, serveErr())
		case <-ctx.Done():
			return fmt.Errorf("backend %s: waiting for %v (now %v, last err %v): %w", m.name, want, mode, err, ctx.Err())
		}
	}
}
