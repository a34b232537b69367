package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/weftmesh/weft/internal/weftdproc"
	"github.com/weftmesh/weft/pilot/pipeline"
)

// Change is the config change a scenario measures.
type Change string

const (
	// ChangeWeight sets svc-0's VirtualService v2 weight 10 → 60 (RDS).
	ChangeWeight Change = "weight"
	// ChangeEndpoint adds one pod (a new IP in the EndpointSlice) to svc-0 (EDS).
	ChangeEndpoint Change = "endpoint"
	// ChangeService adds svc-N, a new service with its own file, in ns-0
	// (CDS/EDS for sidecars; LDS and the rest for proxyless proxies, which
	// watch its listener name from the start).
	ChangeService Change = "service"
)

// Changes lists the supported changes.
var Changes = []Change{ChangeWeight, ChangeEndpoint, ChangeService}

// ParseChange checks a --change value ("" is weight).
func ParseChange(s string) (Change, error) {
	if s == "" {
		return ChangeWeight, nil
	}
	for _, c := range Changes {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("change %q: want weight, endpoint or service", s)
}

// Apply writes the change into the mesh directory.
func (m *Mesh) Apply(c Change) error {
	switch c {
	case ChangeWeight, "":
		return m.SetCanaryWeight(0, 60)
	case ChangeEndpoint:
		return m.AddEndpoint(0)
	case ChangeService:
		_, err := m.AddService()
		return err
	}
	return fmt.Errorf("load: unknown change %q", c)
}

// ListenersFor is what proxyless proxies watch so that change c affects
// every one of them: svc-0's listener (changed by weight and endpoint) and,
// for a new service, that service's listener, requested before it exists.
func (m *Mesh) ListenersFor(c Change) func(p int) []string {
	if c == ChangeService {
		return m.GRPCListeners(0, m.ListenerName(m.NextService()))
	}
	return m.GRPCListeners(0)
}

// Preset is one of the issues' scenarios.
type Preset struct {
	Name              string
	Services, Proxies int
	Kind              Kind // "" leaves the --kind default (mixed)
	// ServiceEntries: services are ServiceEntries (MeshOptions).
	ServiceEntries bool
}

// Presets are the scenarios S1 and S2, and S3 from issue 17: 1000
// ServiceEntry services in 100 namespaces each with a Sidecar, 2000 Envoy
// sidecars, the same mesh istiod was measured on in file mode.
var Presets = map[string]Preset{
	"S1": {Name: "S1", Services: 1000, Proxies: 2000},
	"S2": {Name: "S2", Services: 1000, Proxies: 10000},
	"S3": {Name: "S3", Services: 1000, Proxies: 2000, Kind: KindSidecar, ServiceEntries: true},
}

// Scenario is one measured run: connect, sync, then either apply one config
// change and wait for convergence, or restart weftd and wait for every proxy
// to be back; report.
type Scenario struct {
	Name      string // preset name for the report ("" = custom)
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
	Change   Change // default weight
	// Scope gives the mesh one Sidecar per namespace (SyntheticOptions.
	// SidecarScope), and ServiceEntries makes its services ServiceEntries;
	// both must match how MeshDir was written.
	Scope, ServiceEntries bool
	// Restart measures reconnection instead of a change: after the initial
	// sync, Weftd is restarted (SIGTERM, then a new process on the same
	// ports and dir) and the proxies, which reconnect with backoff, must
	// all ACK every type again on new streams. Reconnect times are measured
	// from the SIGTERM, so they include weftd's shutdown and start.
	Restart bool
	Weftd   *weftdproc.Process // the weftd the tool started; required by Restart
	// TLS connects every proxy over mutual TLS (XDSAddr is then weftd's
	// secure address) with certificates TLS issues before connecting.
	TLS *PKI
	// ConnectParallelism bounds concurrent stream opens (Options; default 32).
	ConnectParallelism int
	Preconnect         bool          // open every connection before any stream (Options)
	Timeout            time.Duration // bound on each wait (default 120s)
	Hold               time.Duration // keep streams open this long after converging
	Log                io.Writer     // progress lines; nil = quiet
}

// MeshOptions is the synthetic mesh the scenario uses for n services.
func MeshOptions(services int, scope, entries bool) pipeline.SyntheticOptions {
	return pipeline.SyntheticOptions{Services: services, PodsPerService: 4, Namespaces: max(services/10, 1), CanaryWeightToV2: 10,
		SidecarScope: scope, ServiceEntries: entries}
}

// Run executes the scenario.
func (s Scenario) Run(ctx context.Context) (Report, error) {
	if s.Restart && s.Weftd == nil {
		return Report{}, errors.New("load: restart needs a weftd started by the tool")
	}
	if s.Change == "" {
		s.Change = ChangeWeight
	}
	wait := WaitOptions{Timeout: s.Timeout}
	mesh := &Mesh{Dir: s.MeshDir, Opts: MeshOptions(max(s.Services, 1), s.Scope, s.ServiceEntries)}
	opts := Options{XDSAddr: s.XDSAddr, Proxies: s.Proxies, Kind: s.Kind, Delta: s.Delta, MixTransports: s.MixTransports,
		Namespaces: mesh.Namespaces(), GRPCListeners: mesh.ListenersFor(s.Change), Reconnect: s.Restart, TLS: s.TLS,
		ConnectParallelism: s.ConnectParallelism, Preconnect: s.Preconnect}
	f, err := Start(ctx, opts)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	if err := f.WaitSynced(ctx, wait); err != nil {
		return Report{}, fmt.Errorf("initial sync: %w", err)
	}
	synced, sync := time.Since(f.ConnectAt()), f.InitialSync()
	s.logf("%d proxies synced in %v", s.Proxies, synced.Round(time.Millisecond))
	var restartedIn time.Duration
	var changeCPU float64
	var restartAt time.Time
	switch {
	case s.Restart:
		restartAt = time.Now()
		if err := s.Weftd.Restart(ctx); err != nil {
			return Report{}, err
		}
		restartedIn = time.Since(restartAt)
		s.WeftdPID = s.Weftd.PID()
		s.logf("weftd restarted in %v (pid %d)", restartedIn.Round(time.Millisecond), s.WeftdPID)
		if err := f.WaitReconnected(ctx, wait, restartAt); err != nil {
			return Report{}, fmt.Errorf("reconnect: %w", err)
		}
	case s.MeshDir != "":
		before, _ := WeftdStats(ctx, s.WeftdPID, s.DebugAddr)
		if err := mesh.Apply(s.Change); err != nil {
			return Report{}, err
		}
		f.MarkChange(time.Now())
		if err := f.WaitConverged(ctx, wait); err != nil {
			return Report{}, fmt.Errorf("convergence after the %s change: %w", s.Change, err)
		}
		if after, err := WeftdStats(ctx, s.WeftdPID, s.DebugAddr); err == nil && before.Source != "" {
			changeCPU = after.CPUSeconds - before.CPUSeconds
		}
	}
	if err := sleep(ctx, s.Hold); err != nil {
		return Report{}, err
	}
	var r Report
	if s.Restart {
		r = f.Reconnection(restartAt)
		r.Change, r.WeftdRestart = "restart", restartedIn
	} else {
		r = f.Convergence()
		if s.MeshDir != "" {
			r.Change = string(s.Change)
		}
	}
	r.Scenario, r.Kind, r.Services, r.Scoped = s.Name, string(s.Kind), max(s.Services, 1), s.Scope
	if r.Scenario == "" {
		r.Scenario = "custom"
	}
	if r.Kind == "" {
		r.Kind = string(KindMixed)
	}
	r.InitialSync, r.Sync, r.ChangeCPUSeconds = synced, sync, changeCPU
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

// TempMeshDir writes the scenario's mesh into a fresh temp dir.
func TempMeshDir(o pipeline.SyntheticOptions) (string, error) {
	dir, err := os.MkdirTemp("", "weft-load-mesh-")
	if err != nil {
		return "", fmt.Errorf("mesh dir: %w", err)
	}
	if _, err := WriteMesh(filepath.Clean(dir), o); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}
