package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/weftmesh/weft/pilot/pipeline"
)

// Scenario is one measured run: connect, sync, change one VirtualService
// weight, wait for convergence, report.
type Scenario struct {
	XDSAddr   string
	DebugAddr string
	WeftdPID  int // > 0: read RSS/CPU from /proc, else from /metrics
	Proxies   int
	Kind      Kind
	Delta     bool // incremental ADS for every proxy
	// MixTransports puts every other pair of proxies on delta.
	MixTransports bool
	// MeshDir, when set, is the directory weftd watches; the scenario
	// writes a synthetic mesh of Services there and changes svc-0's weight.
	// Without it the run measures the initial sync only.
	MeshDir  string
	Services int
	Timeout  time.Duration // bound on each wait (default 120s)
	Hold     time.Duration // keep streams open this long after converging
	Log      io.Writer     // progress lines; nil = quiet
}

// MeshOptions is the synthetic mesh the scenario uses for n services.
func MeshOptions(services int) pipeline.SyntheticOptions {
	return pipeline.SyntheticOptions{Services: services, PodsPerService: 4, Namespaces: max(services/10, 1), CanaryWeightToV2: 10}
}

// Run executes the scenario.
func (s Scenario) Run(ctx context.Context) (Report, error) {
	wait := WaitOptions{Timeout: s.Timeout}
	mesh := &Mesh{Dir: s.MeshDir, Opts: MeshOptions(max(s.Services, 1))}
	opts := Options{XDSAddr: s.XDSAddr, Proxies: s.Proxies, Kind: s.Kind, Delta: s.Delta, MixTransports: s.MixTransports,
		Namespaces: mesh.Namespaces(), GRPCListeners: mesh.GRPCListeners(0)}
	start := time.Now()
	f, err := Start(ctx, opts)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	if err := f.WaitSynced(ctx, wait); err != nil {
		return Report{}, fmt.Errorf("initial sync: %w", err)
	}
	synced := time.Since(start)
	s.logf("%d proxies synced in %v", s.Proxies, synced.Round(time.Millisecond))
	if s.MeshDir != "" {
		if err := mesh.SetCanaryWeight(0, 60); err != nil {
			return Report{}, err
		}
		f.MarkChange(time.Now())
		if err := f.WaitConverged(ctx, wait); err != nil {
			return Report{}, fmt.Errorf("convergence: %w", err)
		}
	}
	if err := sleep(ctx, s.Hold); err != nil {
		return Report{}, err
	}
	r := f.Convergence()
	r.InitialSync = synced
	if r.Weftd, err = WeftdStats(ctx, s.WeftdPID, s.DebugAddr); err != nil {
		s.logf("weftd stats unavailable: %v", err)
	}
	return r, nil
}

func (s Scenario) logf(format string, args ...any) {
	if s.Log != nil {
		fmt.Fprintf(s.Log, format+"\n", args...)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Weftd is a weftd process started by the tool for a self-contained run.
type Weftd struct {
	XDSAddr, DebugAddr, ConfigDir string
	cmd                           *exec.Cmd
	exited                        chan struct{}
}

// StartWeftd runs bin in file mode on configDir with loopback ports and
// waits (bounded) until its debug endpoint answers.
func StartWeftd(ctx context.Context, bin, configDir string, out io.Writer) (*Weftd, error) {
	w := &Weftd{ConfigDir: configDir, exited: make(chan struct{})}
	var err error
	if w.XDSAddr, err = freeAddr(); err != nil {
		return nil, err
	}
	if w.DebugAddr, err = freeAddr(); err != nil {
		return nil, err
	}
	w.cmd = exec.Command(bin, "--config-dir", configDir, "--xds-addr", w.XDSAddr, "--debug-addr", w.DebugAddr, "--log-level", "warn")
	w.cmd.Stdout, w.cmd.Stderr = out, out
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start weftd %s: %w", bin, err)
	}
	go func() { _ = w.cmd.Wait(); close(w.exited) }()
	if err := w.waitReady(ctx, 60*time.Second); err != nil {
		w.Stop()
		return nil, err
	}
	return w, nil
}

// PID is the weftd process id.
func (w *Weftd) PID() int { return w.cmd.Process.Pid }

func (w *Weftd) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := c.Get("http://" + w.DebugAddr + "/debug/syncz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-w.exited:
			return errors.New("weftd exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("weftd not ready: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop sends SIGTERM and kills weftd if it has not exited within 10s.
func (w *Weftd) Stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.exited:
	case <-time.After(10 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.exited
	}
}

func freeAddr() (string, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer lis.Close()
	return lis.Addr().String(), nil
}

// TempMeshDir writes the scenario's mesh into a fresh temp dir.
func TempMeshDir(services int) (string, error) {
	dir, err := os.MkdirTemp("", "weft-load-mesh-")
	if err != nil {
		return "", fmt.Errorf("mesh dir: %w", err)
	}
	if _, err := WriteMesh(filepath.Clean(dir), MeshOptions(services)); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}
