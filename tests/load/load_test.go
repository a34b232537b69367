package load

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftmesh/weft/pilot/pipeline"
	"github.com/weftmesh/weft/tests/e2e"
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
	runCorrectness(t, Options{Proxies: loadTestProxies, Kind: KindMixed, MixTransports: true}, false, ChangeWeight)
}

// TestLoadConvergesAfterEachChange runs the other changes of the issue on a
// small fleet and a scoped mesh (one Sidecar per namespace): an endpoint
// added to svc-0, a new service in ns-0 (which proxyless proxies watch
// before it exists), then the weight change; after each one every proxy
// must converge and end on weftd's final versions.
func TestLoadConvergesAfterEachChange(t *testing.T) {
	runCorrectness(t, Options{Proxies: 40, Kind: KindMixed, MixTransports: true}, true, ChangeEndpoint, ChangeService, ChangeWeight)
}

func runCorrectness(t *testing.T, opts Options, scope bool, changes ...Change) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	dir := t.TempDir()
	m, err := WriteMesh(dir, pipeline.SyntheticOptions{Services: 20, PodsPerService: 4, Namespaces: 2, CanaryWeightToV2: 10, SidecarScope: scope})
	if err != nil {
		t.Fatal(err)
	}
	w := e2e.StartWeftd(t, e2e.WeftdOptions{ConfigDir: dir})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	start := time.Now()
	opts.XDSAddr, opts.Namespaces, opts.GRPCListeners = w.XDSAddr, m.Namespaces(), m.GRPCListeners(changedService)
	if slices.Contains(changes, ChangeService) {
		opts.GRPCListeners = m.ListenersFor(ChangeService)
	}
	f, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.WaitSynced(ctx, WaitOptions{Timeout: 30 * time.Second}); err != nil {
		t.Fatalf("initial sync: %v", err)
	}
	t.Logf("%d proxies synced in %v", opts.Proxies, time.Since(start))
	applyAndCheck(ctx, t, f, m, w.Syncz, w.DebugAddr, changes...)
}

// applyAndCheck applies each change in turn; after each one every proxy
// must converge and agree with weftd's syncz, and nothing may be NACKed.
func applyAndCheck(ctx context.Context, t *testing.T, f *Fleet, m *Mesh, syncz func(context.Context) (e2e.Syncz, error),
	debugAddr string, changes ...Change) {
	t.Helper()
	for _, c := range changes {
		if err := m.Apply(c); err != nil {
			t.Fatal(err)
		}
		f.MarkChange(time.Now())
		if err := f.WaitConverged(ctx, WaitOptions{Timeout: 30 * time.Second}); err != nil {
			t.Fatalf("after the %s change: %v", c, err)
		}
		r := f.Convergence()
		r.Change = string(c)
		r.Weftd, _ = WeftdStats(ctx, 0, debugAddr) // informational only
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
	bin := weftdBinary(t)
	dir, pkiDir := t.TempDir(), t.TempDir()
	m, err := WriteMesh(dir, MeshOptions(20, true))
	if err != nil {
		t.Fatal(err)
	}
	pki, err := NewPKI(pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var logs strings.Builder
	w, err := StartWeftdTLS(ctx, bin, dir, pkiDir, &syncWriter{w: &logs})
	if err != nil {
		t.Fatalf("%v\nweftd logs:\n%s", err, logs.String())
	}
	defer w.Stop()
	const n = 80
	f, err := Start(ctx, Options{XDSAddr: w.SecureAddr, TLS: pki, Proxies: n, Kind: KindMixed, MixTransports: true,
		Namespaces: m.Namespaces(), GRPCListeners: m.GRPCListeners(changedService)})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.WaitSynced(ctx, WaitOptions{Timeout: 30 * time.Second}); err != nil {
		t.Fatalf("initial sync over TLS: %v\nweftd logs:\n%s", err, logs.String())
	}
	s := f.InitialSync()
	t.Logf("%d proxies synced over mutual TLS: per proxy p50 %v, max %v (logged, not asserted)", n, s.PerProxy.P50, s.PerProxy.Max)
	applyAndCheck(ctx, t, f, m, synczOf(w.DebugAddr), w.DebugAddr, ChangeWeight)
}

// synczOf reads /debug/syncz from a weftd the tool started.
func synczOf(debugAddr string) func(context.Context) (e2e.Syncz, error) {
	return func(ctx context.Context) (e2e.Syncz, error) {
		body, err := httpGet(ctx, "http://"+debugAddr+"/debug/syncz")
		if err != nil {
			return e2e.Syncz{}, err
		}
		return e2e.ParseSyncz(body)
	}
}

// TestLoadReconnectsAfterRestart restarts weftd (the tool's own launcher,
// as --restart does) under a small fleet: every proxy must reconnect with
// backoff and ACK every type again, and weftd must then agree with the tool.
func TestLoadReconnectsAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	bin := weftdBinary(t)
	dir := t.TempDir()
	m, err := WriteMesh(dir, MeshOptions(20, true))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var logs strings.Builder
	w, err := StartWeftd(ctx, bin, dir, &syncWriter{w: &logs})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	f, err := Start(ctx, Options{XDSAddr: w.XDSAddr, Proxies: 40, Kind: KindMixed, MixTransports: true, Reconnect: true,
		Namespaces: m.Namespaces(), GRPCListeners: m.GRPCListeners(changedService)})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.WaitSynced(ctx, WaitOptions{Timeout: 30 * time.Second}); err != nil {
		t.Fatalf("initial sync: %v", err)
	}
	at := time.Now()
	if err := w.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.WaitReconnected(ctx, WaitOptions{Timeout: 30 * time.Second}, at); err != nil {
		t.Fatalf("reconnect: %v\nweftd logs:\n%s", err, logs.String())
	}
	r := f.Reconnection(at)
	var table strings.Builder
	_ = r.WriteTable(&table)
	t.Logf("reconnect (logged, not asserted):\n%s", table.String())
	if r.Converged != 40 || r.Reconnects < 40 {
		t.Errorf("reconnected %d of 40 with %d new streams", r.Converged, r.Reconnects)
	}
	checkAgainstSyncz(ctx, t, synczOf(w.DebugAddr), f)
	checkNoNacks(ctx, t, w.DebugAddr)
}

func httpGet(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// syncWriter lets weftd's stdout and stderr share one buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// checkAgainstSyncz waits (bounded) until weftd reports sent == acked for
// every proxy and type, then compares that with what the tool ACKed.
func checkAgainstSyncz(ctx context.Context, t *testing.T, syncz func(context.Context) (e2e.Syncz, error), f *Fleet) {
	t.Helper()
	var problems []string
	for range 50 { // ~10 s: weftd may still be recording the last ACKs
		s, err := syncz(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if problems = compareSyncz(s, f.States()); len(problems) == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(problems) > 20 {
		problems = append(problems[:20], "…")
	}
	t.Fatalf("proxies not on the final version:\n%s", strings.Join(problems, "\n"))
}

// compareSyncz lists every disagreement between weftd's view and the tool's.
func compareSyncz(s e2e.Syncz, states []ProxyState) []string {
	byID := map[string]e2e.ProxyStatus{}
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
		for _, typ := range Subscribed(st) {
			ts := p.Types[typ]
			switch {
			case ts.Sent != ts.Acked:
				out = append(out, st.NodeID+" "+ShortType(typ)+": sent "+ts.Sent+" acked "+ts.Acked)
			case ts.Acked != st.Types[typ].Version:
				out = append(out, st.NodeID+" "+ShortType(typ)+": weftd has acked "+ts.Acked+", tool "+st.Types[typ].Version)
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
	m, err := Metrics(ctx, debugAddr)
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
