package load

import (
	"context"
	"os"
	"strconv"
	"strings"
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
	runCorrectness(t, Options{Proxies: loadTestProxies, Kind: KindMixed, MixTransports: true})
}

func runCorrectness(t *testing.T, opts Options) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	dir := t.TempDir()
	m, err := WriteMesh(dir, pipeline.SyntheticOptions{Services: 20, PodsPerService: 4, Namespaces: 2, CanaryWeightToV2: 10})
	if err != nil {
		t.Fatal(err)
	}
	w := e2e.StartWeftd(t, e2e.WeftdOptions{ConfigDir: dir})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	start := time.Now()
	opts.XDSAddr, opts.Namespaces, opts.GRPCListeners = w.XDSAddr, m.Namespaces(), m.GRPCListeners(changedService)
	f, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.WaitSynced(ctx, WaitOptions{Timeout: 30 * time.Second}); err != nil {
		t.Fatalf("initial sync: %v", err)
	}
	t.Logf("%d proxies synced in %v", opts.Proxies, time.Since(start))

	if err := m.SetCanaryWeight(changedService, 60); err != nil {
		t.Fatal(err)
	}
	f.MarkChange(time.Now())
	if err := f.WaitConverged(ctx, WaitOptions{Timeout: 30 * time.Second}); err != nil {
		t.Fatalf("after the weight change: %v", err)
	}
	r := f.Convergence()
	r.Weftd, _ = WeftdStats(ctx, 0, w.DebugAddr) // informational only
	var table strings.Builder
	_ = r.WriteTable(&table)
	t.Logf("convergence (logged, not asserted):\n%s", table.String())

	checkAgainstSyncz(ctx, t, w, f)
	checkNoNacks(ctx, t, w)
}

// checkAgainstSyncz waits (bounded) until weftd reports sent == acked for
// every proxy and type, then compares that with what the tool ACKed.
func checkAgainstSyncz(ctx context.Context, t *testing.T, w *e2e.Weftd, f *Fleet) {
	t.Helper()
	var problems []string
	for range 50 { // ~10 s: weftd may still be recording the last ACKs
		s, err := w.Syncz(ctx)
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

func checkNoNacks(ctx context.Context, t *testing.T, w *e2e.Weftd) {
	t.Helper()
	m, err := Metrics(ctx, w.DebugAddr)
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
