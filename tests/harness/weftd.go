package harness

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/weftdproc"
)

// WeftdOptions configure one weftd for a test. Zero values are fine: file
// mode on a fresh config directory and free loopback ports.
type WeftdOptions struct {
	Binary    string   // default: Binary(t, "weftd")
	ConfigDir string   // default: a fresh temp dir
	ExtraArgs []string // appended to the standard flags
	Env       []string // added to the inherited environment
	// Kubeconfig switches weftd to Kubernetes mode against that cluster
	// (no --config-dir; the config-dir helpers then have no effect).
	Kubeconfig string
	// CAPluginDir turns on the secure port in file mode, with weftd's
	// certificate and the mesh roots from that plug-in CA directory.
	CAPluginDir  string
	ReadyTimeout time.Duration // default 30s
}

// Weftd is a weftd started for one test; it is stopped by the test's cleanup.
type Weftd struct {
	*weftdproc.Process
	staging string // sibling of ConfigDir; config files are renamed from here
	t       testing.TB
	logs    *lineLogger
	http    *http.Client
}

// StartWeftd starts weftd, waits until it is ready and registers Stop as a
// cleanup; weftd's output goes to the test log.
func StartWeftd(t testing.TB, opts WeftdOptions) *Weftd {
	t.Helper()
	w := &Weftd{t: t, logs: newLineLogger(t, "weftd: "), http: &http.Client{Timeout: 5 * time.Second}}
	popts, err := w.procOptions(opts)
	if err != nil {
		t.Fatalf("weftd: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), orDefault(opts.ReadyTimeout, weftdproc.DefaultReadyTimeout))
	defer cancel()
	w.Process, err = weftdproc.Start(ctx, popts)
	if err != nil {
		w.logs.close()
		t.Fatalf("weftd: %v\nlogs:\n%s", err, w.Logs())
	}
	t.Logf("weftd pid %d: %s %v", w.PID(), popts.Binary, w.Args())
	t.Cleanup(func() { _ = w.Stop() })
	return w
}

// procOptions resolves the binary and prepares the config and staging dirs.
func (w *Weftd) procOptions(opts WeftdOptions) (weftdproc.Options, error) {
	bin := opts.Binary
	if bin == "" {
		bin = Binary(w.t, "weftd")
	}
	base := w.t.TempDir()
	dir := opts.ConfigDir
	if dir == "" {
		dir = filepath.Join(base, "config")
	}
	w.staging = filepath.Join(base, "staging")
	for _, d := range []string{dir, w.staging} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return weftdproc.Options{}, fmt.Errorf("mkdir %s: %w", d, err)
		}
	}
	if opts.Kubeconfig != "" {
		dir = ""
	}
	return weftdproc.Options{Binary: bin, ConfigDir: dir, Kubeconfig: opts.Kubeconfig, CAPluginDir: opts.CAPluginDir,
		ExtraArgs: opts.ExtraArgs, Env: opts.Env, Output: w.logs, ReadyTimeout: opts.ReadyTimeout}, nil
}

// Stop stops weftd (SIGTERM, then SIGKILL after 10s) and logs how it exited.
func (w *Weftd) Stop() error {
	err := w.Process.Stop()
	w.logs.close() // the output copiers are done once the process is waited for
	w.t.Logf("weftd exited: %v", err)
	return err
}

// Logs returns everything weftd has written so far.
func (w *Weftd) Logs() string { return w.logs.String() }

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func FreeAddr() (string, error) { return weftdproc.FreeAddr() }

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
		if port, ok, err := tryCommonPort(ips); err != nil || ok {
			return port, err
		}
	}
	return 0, fmt.Errorf("no common free port on %v after 20 tries", ips)
}

// tryCommonPort takes a free port on the first IP and checks the others.
func tryCommonPort(ips []string) (int, bool, error) {
	first, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
	if err != nil {
		return 0, false, fmt.Errorf("free port on %s: %w", ips[0], err)
	}
	defer first.Close()
	port := first.Addr().(*net.TCPAddr).Port
	for _, ip := range ips[1:] {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
		if err != nil {
			return port, false, nil
		}
		l.Close()
	}
	return port, true, nil
}
