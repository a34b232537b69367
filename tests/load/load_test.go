package load_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/internal/load"
	"github.com/weftmesh/weft/pilot/pipeline"
	"github.com/weftmesh/weft/tests/harness"
)

// loadTestProxies is the small-N correctness run: half sidecars, half
// proxyless gRPC, each half split between SotW and delta ADS on one weftd.
const loadTestProxies = 200

// changedService is the service whose VirtualService weight the test changes.
const changedService = 0

// TestLoadConvergesCorrectly checks correctness only (timings are logged, not
// asserted; they belong to make bench-load): after a weight change every
// proxy ends on weftd's final version of every type, nothing is NACKed and
// no proxy is left behind.
func TestLoadConvergesCorrectly(t *testing.T) {
	runCorrectness(t, load.Options{Proxies: loadTestProxies, Kind: load.KindMixed, MixTransports: true}, false, load.ChangeWeight)
}

// TestLoadConvergesAfterEachChange runs the other changes of the issue on a
// small fleet and a scoped mesh (one Sidecar per namespace): an endpoint
// added to svc-0, a new service in ns-0 (which proxyless proxies watch
// before it exists), then the weight change; after each one every proxy
// must converge and end on weftd's final versions.
func TestLoadConvergesAfterEachChange(t *testing.T) {
	runCorrectness(t, load.Options{Proxies: 40, Kind: load.KindMixed, MixTransports: true}, true, load.ChangeEndpoint, load.ChangeService, load.ChangeWeight)
}

func runCorrectness(t *testing.T, opts load.Options, scope bool, changes ...load.Change) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	dir := t.TempDir()
	m, err := load.WriteMesh(dir, pipeline.SyntheticOptions{Services: 20, PodsPerService: 4, Namespaces: 2, CanaryWeightToV2: 10, SidecarScope: scope})
	if err != nil {
		t.Fatal(err)
	}
	w := harness.StartWeftd(t, harness.WeftdOptions{ConfigDir: dir})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	start := time.Now()
	opts.XDSAddr, opts.Namespaces, opts.GRPCListeners = w.XDSAddr, m.Namespaces(), m.GRPCListeners(changedService)
	if slices.Contains(changes, load.ChangeService) {
		opts.GRPCListeners = m.ListenersFor(load.ChangeService)
	}
	f, err := load.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.WaitSynced(ctx, load.WaitOptions{Timeout: 30 * time.Second}); err != nil {
		t.Fatalf("initial sync: %v", err)
	}
	t.Logf("%d proxies synced in %v", opts.Proxies, time.Since(start))
	applyAndCheck(ctx, t, f, m, w.Syncz, w.DebugAddr, changes...)
}

// applyAndCheck applies each change in turn; after each one every proxy
// must converge and agree with weftd's syncz, and nothing may be NACKed.
func applyAndCheck(ctx context.Context, t *testing.T, f *load.Fleet, m *load.Mesh, syncz func(context.Context) (harness.Syncz, error),
	debugAddr string, changes ...load.Change) {
	t.Helper()
	for _, c := range changes {
		if err := m.Apply(c); err != nil {
			t.Fatal(err)
		}
		f.MarkChange(time.Now())
		if err := f.WaitConverged(ctx, load.WaitOptions{Timeout: 30 * time.Second}); err != nil {
			t.Fatalf("after the %s change: %v", c, err)
		}
		r := f.Convergence()
		r.Change = string(c)
		r.Weftd, _ = load.WeftdStats(ctx, 0, debugAddr) // informational only
		var table strings.Builder
		_ = r.WriteTable(&table)
		t.Logf("convergence (logged, not asserted):\n%s", table.String())
		checkAgainstSyncz(ctx, t, syncz, f)
	}
	checkNoNacks(ctx, t, debugAddr)
}

// TestLoadConvergesOverTLS is the correctness run over weftd's secure port:
// the tool's plug-in CA, one workload certificate per proxy, both kinds on
// both transports over mutual TLS; every proxy must sync and converge after
// a weight change with nothing NACKed.
func TestLoadConvergesOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	dir, pkiDir := t.TempDir(), t.TempDir()
	m, err := load.WriteMesh(dir, load.MeshOptions(20, true, false))
	if err != nil {
		t.Fatal(err)
	}
	pki, err := load.NewPKI(pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	// The secure port in weftd's default namespace, the one its certificate names.
	w := harness.StartWeftd(t, harness.WeftdOptions{ConfigDir: dir, CAPluginDir: pkiDir,
		ExtraArgs: []string{"--namespace", contract.DefaultNamespace}})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const n = 80
	f, err := load.Start(ctx, load.Options{XDSAddr: w.SecureAddr, TLS: pki, Proxies: n, Kind: load.KindMixed, MixTransports: true,
		Namespaces: m.Namespaces(), GRPCListeners: m.GRPCListeners(changedService)})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.WaitSynced(ctx, load.WaitOptions{Timeout: 30 * time.Second}); err != nil {
		t.Fatalf("initial sync over TLS: %v", err)
	}
	s := f.InitialSync()
	t.Logf("%d proxies synced over mutual TLS: per proxy p50 %v, max %v (logged, not asserted)", n, s.PerProxy.P50, s.PerProxy.Max)
	applyAndCheck(ctx, t, f, m, w.Syncz, w.DebugAddr, load.ChangeWeight)
}

// TestLoadReconnectsAfterRestart restarts weftd (the tool's own launcher,
// as --restart does) under a small fleet: every proxy must reconnect with
// backoff and ACK every type again, and weftd must then agree with the tool.
func TestLoadReconnectsAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	dir := t.TempDir()
	m, err := load.WriteMesh(dir, load.MeshOptions(20, true, false))
	if err != nil {
		t.Fatal(err)
	}
	w := harness.StartWeftd(t, harness.WeftdOptions{ConfigDir: dir})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	f, err := load.Start(ctx, load.Options{XDSAddr: w.XDSAddr, Proxies: 40, Kind: load.KindMixed, MixTransports: true, Reconnect: true,
		Namespaces: m.Namespaces(), GRPCListeners: m.GRPCListeners(changedService)})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.WaitSynced(ctx, load.WaitOptions{Timeout: 30 * time.Second}); err != nil {
		t.Fatalf("initial sync: %v", err)
	}
	at := time.Now()
	if err := w.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitReconnected(ctx, load.WaitOptions{Timeout: 30 * time.Second}, at); err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	r := f.Reconnection(at)
	var table strings.Builder
	_ = r.WriteTable(&table)
	t.Logf("reconnect (logged, not asserted):\n%s", table.String())
	if r.Converged != 40 || r.Reconnects < 40 {
		t.Errorf("reconnected %d of 40 with %d new streams", r.Converged, r.Reconnects)
	}
	checkAgainstSyncz(ctx, t, w.Syncz, f)
	checkNoNacks(ctx, t, w.DebugAddr)
}

// checkAgainstSyncz waits (bounded) until weftd reports sent == acked for
// every proxy and type, then compares that with what the tool ACKed.
func checkAgainstSyncz(ctx context.Context, t *testing.T, syncz func(context.Context) (harness.Syncz, error), f *load.Fleet) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second) // weftd may still be recording the last ACKs
	defer cancel()
	var problems []string
	for ctx.Err() == nil {
		s, err := syncz(ctx)
		if err != nil && ctx.Err() == nil {
			t.Fatal(err)
		}
		if problems = compareSyncz(s, f.States()); err == nil && len(problems) == 0 {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	if len(problems) > 20 {
		problems = append(problems[:20], "…")
	}
	t.Fatalf("proxies not on the final version:\n%s", strings.Join(problems, "\n"))
}

// compareSyncz lists every disagreement between weftd's view and the tool's.
func compareSyncz(s harness.Syncz, states []load.ProxyState) []string {
	byID := map[string]harness.ProxyStatus{}
	for _, p := range s.Proxies {
		byID[p.ID] = p
	}
	var out []string
	for _, st := range states {
		p, ok := byID[st.NodeID]
		if !ok {
			out = append(out, st.NodeID+": missing from syncz")
			continue
		}
		if p.Nacks > 0 {
			out = append(out, st.NodeID+": NACKed")
		}
		for _, typ := range load.Subscribed(st) {
			ts := p.Types[typ]
			switch {
			case ts.Sent != ts.Acked:
				out = append(out, st.NodeID+" "+load.ShortType(typ)+": sent "+ts.Sent+" acked "+ts.Acked)
			case ts.Acked != st.Types[typ].Version:
				out = append(out, st.NodeID+" "+load.ShortType(typ)+": weftd has acked "+ts.Acked+", tool "+st.Types[typ].Version)
			}
		}
	}
	if len(s.Proxies) != len(states) {
		out = append(out, "syncz lists "+itoa(len(s.Proxies))+" proxies, tool runs "+itoa(len(states)))
	}
	return out
}

func checkNoNacks(ctx context.Context, t *testing.T, debugAddr string) {
	t.Helper()
	m, err := load.Metrics(ctx, debugAddr)
	if err != nil {
		t.Fatal(err)
	}
	if n := m["weft_xds_nacks_total"]; n != 0 {
		t.Errorf("weft_xds_nacks_total = %v, want 0", n)
	}
	if os.Getenv("WEFT_LOAD_VERBOSE") != "" {
		t.Logf("metrics: %v", m)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
