// Package e2e runs weftd as a subprocess against real proxyless gRPC apps
// (tests/grpcapp). TestMain builds cmd/weftd once; each test starts its own
// weftd on free 127.0.0.1 ports with a private config directory.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Bounds for starting and stopping weftd.
const (
	defaultReadyTimeout = 30 * time.Second
	stopTimeout         = 10 * time.Second
)

// WeftdOptions configure one weftd subprocess. Zero values are fine.
type WeftdOptions struct {
	Binary       string        // default: the binary from SetupWeftd
	ConfigDir    string        // default: a fresh temp dir
	ExtraArgs    []string      // appended to the standard flags
	Env          []string      // added to the inherited environment
	ReadyTimeout time.Duration // default 30s
	// Kubeconfig switches weftd to Kubernetes mode against that cluster
	// (no --config-dir; the config-dir helpers then have no effect).
	Kubeconfig string
	// CAPluginDir turns on the secure port in file mode, with weftd's
	// certificate and the mesh roots from that plug-in CA directory.
	CAPluginDir string
}

// Weftd is a running weftd subprocess.
type Weftd struct {
	XDSAddr   string // plaintext ADS, 127.0.0.1:PORT
	DebugAddr string // debug HTTP, 127.0.0.1:PORT
	// SecureAddr is the secure port (CA and ADS over mutual TLS),
	// 127.0.0.1:PORT; Kubernetes mode, or file mode with --ca-plugin-dir.
	SecureAddr string
	ConfigDir  string
	staging    string // sibling of ConfigDir; files are renamed from here
	t          testing.TB
	cmd        *exec.Cmd
	logs       *lineLogger
	exited     chan struct{}
	exitErr    error
	http       *http.Client
}

// StartWeftd starts weftd, waits until /debug/syncz answers and registers
// Stop as a cleanup. It skips the test when cmd/weftd does not exist yet.
func StartWeftd(t testing.TB, opts WeftdOptions) *Weftd {
	t.Helper()
	bin := opts.Binary
	if bin == "" {
		bin = builtWeftd(t)
	}
	w, err := newWeftd(t, opts)
	if err != nil {
		t.Fatalf("weftd: %v", err)
	}
	if err := w.start(bin, opts); err != nil {
		t.Fatalf("weftd: %v", err)
	}
	t.Cleanup(func() { _ = w.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), orDefault(opts.ReadyTimeout, defaultReadyTimeout))
	defer cancel()
	if err := w.WaitReady(ctx); err != nil {
		t.Fatalf("weftd: %v\nlogs:\n%s", err, w.Logs())
	}
	return w
}

// builtWeftd returns the TestMain-built binary, skipping if there is none yet.
func builtWeftd(t testing.TB) string {
	t.Helper()
	switch {
	case errors.Is(built.err, ErrNoWeftd) && os.Getenv("CI") != "true":
		t.Skipf("skipping: %v", built.err)
	case built.err != nil:
		t.Fatalf("weftd binary: %v", built.err)
	case built.path == "":
		t.Fatal("weftd binary: SetupWeftd was not called from TestMain")
	}
	return built.path
}

// newWeftd picks free ports and prepares the config and staging directories.
func newWeftd(t testing.TB, opts WeftdOptions) (*Weftd, error) {
	base := t.TempDir()
	w := &Weftd{t: t, ConfigDir: opts.ConfigDir, staging: filepath.Join(base, "staging"),
		exited: make(chan struct{}), http: &http.Client{Timeout: 5 * time.Second}}
	if w.ConfigDir == "" {
		w.ConfigDir = filepath.Join(base, "config")
	}
	for _, d := range []string{w.ConfigDir, w.staging} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("mkdir %s: %w", d, err)
		}
	}
	var err error
	if w.XDSAddr, err = FreeAddr(); err != nil {
		return nil, err
	}
	if w.DebugAddr, err = FreeAddr(); err != nil {
		return nil, err
	}
	if w.SecureAddr, err = FreeAddr(); err != nil {
		return nil, err
	}
	return w, nil
}

// start launches the subprocess with its output streamed into the test log.
func (w *Weftd) start(bin string, opts WeftdOptions) error {
	args := []string{"--config-dir", w.ConfigDir}
	if opts.CAPluginDir != "" {
		args = append(args, "--ca-plugin-dir", opts.CAPluginDir, "--secure-addr", w.SecureAddr)
	}
	if opts.Kubeconfig != "" {
		args = []string{"--kubeconfig", opts.Kubeconfig, "--secure-addr", w.SecureAddr}
	}
	args = append(append(args, "--xds-addr", w.XDSAddr, "--debug-addr", w.DebugAddr), opts.ExtraArgs...)
	w.cmd = exec.Command(bin, args...)
	w.cmd.Env = append(os.Environ(), opts.Env...)
	w.cmd.SysProcAttr = childAttrs()
	w.logs = newLineLogger(w.t, "weftd: ")
	w.cmd.Stdout, w.cmd.Stderr = w.logs, w.logs
	if err := w.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	w.t.Logf("weftd pid %d: %s %v", w.cmd.Process.Pid, bin, args)
	go func() {
		w.exitErr = w.cmd.Wait() // also waits for the log copiers to drain
		w.logs.close()
		close(w.exited)
	}()
	return nil
}

// WaitReady polls /debug/syncz until it answers 200, weftd exits, or ctx ends.
func (w *Weftd) WaitReady(ctx context.Context) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := w.get(ctx, "/debug/syncz"); err == nil {
			return nil
		}
		select {
		case <-w.exited:
			return fmt.Errorf("exited before ready: %v", w.exitErr)
		case <-ctx.Done():
			return fmt.Errorf("debug endpoint %s not ready: %w", w.DebugAddr, ctx.Err())
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM, escalates to SIGKILL after 10s, and returns the exit error.
func (w *Weftd) Stop() error {
	select {
	case <-w.exited:
		return w.exitErr
	default:
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.exited:
	case <-time.After(stopTimeout):
		w.t.Logf("weftd did not stop within %v; killing it", stopTimeout)
		_ = w.cmd.Process.Kill()
		<-w.exited
	}
	w.t.Logf("weftd exited: %v", w.exitErr)
	return w.exitErr
}

// Exited is closed when the weftd process has exited.
func (w *Weftd) Exited() <-chan struct{} { return w.exited }

// Logs returns everything weftd has written so far.
func (w *Weftd) Logs() string { return w.logs.String() }

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer lis.Close()
	return lis.Addr().String(), nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// FreeCommonPort finds a port free on every given loopback IP, so several
// backends ("pods" on distinct IPs) can share one port as in an EndpointSlice.
func FreeCommonPort(ips ...string) (int, error) {
	for range 20 {
		first, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			return 0, fmt.Errorf("free port on %s: %w", ips[0], err)
		}
		port := first.Addr().(*net.TCPAddr).Port
		ok := true
		for _, ip := range ips[1:] {
			l, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		first.Close()
		if ok {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no common free port on %v after 20 tries", ips)
}
