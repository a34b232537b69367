package e2e

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/tests/harness"
)

// meshEnv is one weftd in file mode with reviews-v1/v2 as proxyless
// backends and one proxyless client of reviews:9080.
type meshEnv struct {
	w        *harness.Weftd
	backends []*grpcapp.Backend
	client   *grpcapp.Client
}

type envOptions struct {
	routing          string // reviews-routing.yaml content
	failFirstAttempt bool
}

func startEnv(ctx context.Context, t *testing.T, o envOptions) *meshEnv {
	t.Helper()
	w := harness.StartWeftd(t, harness.WeftdOptions{})
	port, err := harness.FreeCommonPort("127.0.0.2", "127.0.0.3")
	must(t, err)
	must(t, w.WriteConfig("reviews.yaml", reviewsYAML(port)))
	must(t, w.WriteConfig("reviews-routing.yaml", o.routing))
	memory := grpcapp.NewCallMemory(100000)
	var backends []*grpcapp.Backend
	for i, v := range []string{"v1", "v2"} {
		b, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{
			Name: "reviews-" + v, Addr: fmt.Sprintf("127.0.0.%d:%d", i+2, port), XDSAddr: w.XDSAddr,
			Labels: map[string]string{"app": "reviews", "version": v}, Logf: t.Logf,
			FailFirstAttempt: o.failFirstAttempt, Memory: memory,
		})
		must(t, err)
		t.Cleanup(b.Stop)
		backends = append(backends, b)
	}
	must(t, grpcapp.WaitServing(ctx, backends...))
	c, err := grpcapp.NewClient(ctx, grpcapp.ClientOptions{Target: reviewsHost + ":9080", XDSAddr: w.XDSAddr})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	// Registered last, so it runs first: while the client is still open. A
	// grpc-go client closing may NACK with "xdsChannel is closed", which
	// says nothing of the config.
	t.Cleanup(func() { assertNoNACKs(t, w) })
	return &meshEnv{w: w, backends: backends, client: c}
}

// vsYAML is the DestinationRule plus a VirtualService with the given http rules.
func vsYAML(httpRules string) string {
	return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
%s`, httpRules)
}

func weighted(w1, w2 int) string {
	return vsYAML(fmt.Sprintf(`  - route:
    - {destination: {host: reviews, subset: v1}, weight: %d}
    - {destination: {host: reviews, subset: v2}, weight: %d}
`, w1, w2))
}

func only(subset string) string {
	return vsYAML(fmt.Sprintf("  - route: [{destination: {host: reviews, subset: %s}}]\n", subset))
}

// (a) Canary 90/10: over 2000 RPCs the v2 share is 10% ± 2.5 points.
func TestCanarySplit(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := startEnv(ctx, t, envOptions{routing: weighted(90, 10)})
	_, err := grpcapp.WaitFor(ctx, env.client, grpcapp.And(grpcapp.AllSucceed(), grpcapp.SeesAll("reviews-v1", "reviews-v2")))
	must(t, err)
	res := env.client.Run(ctx, grpcapp.RunOptions{N: 2000, Concurrency: 8})
	t.Logf("canary: %v", res)
	if res.OK() != 2000 {
		t.Fatalf("%d of 2000 RPCs failed: %v", res.Failed(), res.Errors)
	}
	if share := 100 * res.Share("reviews-v2"); math.Abs(share-10) > 2.5 {
		t.Errorf("v2 share %.1f%%, want 10%% ± 2.5", share)
	}
}

// (b) A/B: the treatment header goes to v2 on every RPC, everything else to v1.
func TestABHeaderRouting(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := startEnv(ctx, t, envOptions{routing: vsYAML(`  - match: [{headers: {x-experiment-group: {exact: treatment}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
`)})
	_, err := grpcapp.WaitFor(ctx, env.client, grpcapp.AllOn("reviews-v1"))
	must(t, err)
	treated := env.client.Run(ctx, grpcapp.RunOptions{N: 300, Concurrency: 4, Headers: map[string]string{"x-experiment-group": "treatment"}})
	control := env.client.Run(ctx, grpcapp.RunOptions{N: 300, Concurrency: 4, Headers: map[string]string{"x-experiment-group": "control"}})
	plain := env.client.Run(ctx, grpcapp.RunOptions{N: 300, Concurrency: 4})
	if treated.ByBackend["reviews-v2"] != 300 {
		t.Errorf("treatment: want all 300 on v2, got %v", treated)
	}
	for name, r := range map[string]grpcapp.Result{"control": control, "no header": plain} {
		if r.ByBackend["reviews-v1"] != 300 {
			t.Errorf("%s: want all 300 on v1, got %v", name, r)
		}
	}
}

// (c) Blue-green: rewriting the routing file moves every RPC to green, with
// no restart, no failed RPC and no RPC back on blue once green has served.
// How fast the switch lands is measured by weft-load (docs/performance.md).
func TestBlueGreenSwitch(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := startEnv(ctx, t, envOptions{routing: only("v1")})
	_, err := grpcapp.WaitFor(ctx, env.client, grpcapp.AllOn("reviews-v1"))
	must(t, err)

	rec := startRecording(ctx, env.client, lastOn("reviews-v2", 200))
	must(t, rec.waitFor(ctx, lastOn("reviews-v1", 50))) // blue traffic before the switch
	switched := time.Now()
	must(t, env.w.WriteConfig("reviews-routing.yaml", only("v2")))
	calls, err := rec.wait(ctx)
	must(t, err)
	checkSwitch(t, calls, switched)
}

// checkSwitch: no RPC failed and, in call order, blue never follows green.
func checkSwitch(t *testing.T, calls []call, switched time.Time) {
	t.Helper()
	failed, firstGreen, lastBlue := 0, -1, -1
	for i, c := range calls {
		switch {
		case c.err != nil:
			failed++
			t.Logf("failed RPC at %+v: %v", c.at.Sub(switched), c.err)
		case c.backend == "reviews-v2" && firstGreen < 0:
			firstGreen = i
		case c.backend == "reviews-v1":
			lastBlue = i
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d RPCs failed during the switch", failed, len(calls))
	}
	if firstGreen < 0 || lastBlue > firstGreen {
		t.Errorf("blue served call %d after green first served call %d", lastBlue, firstGreen)
	}
	if lastBlue >= 0 {
		t.Logf("%d RPCs, blue last seen %v after the file change (logged, not asserted)", len(calls), calls[lastBlue].at.Sub(switched))
	}
}

// (d) Fault injection: aborts at 50% abort 50% ± 5 points of RPCs; a fixed
// delay delays every RPC.
func TestFaultInjection(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := startEnv(ctx, t, envOptions{routing: vsYAML(`  - fault: {abort: {grpcStatus: ABORTED, percentage: {value: 50}}}
    route: [{destination: {host: reviews, subset: v1}}]
`)})
	_, err := grpcapp.WaitFor(ctx, env.client, grpcapp.SeesAll("reviews-v1"))
	must(t, err)
	res := env.client.Run(ctx, grpcapp.RunOptions{N: 2000, Concurrency: 8})
	aborted := 100 * float64(res.ByCode[codes.Aborted]) / float64(res.Total)
	t.Logf("abort: %v", res)
	if math.Abs(aborted-50) > 5 || res.ByCode[codes.Aborted]+res.OK() != res.Total {
		t.Errorf("aborted %.1f%% (%v), want 50%% ± 5 and nothing else failing", aborted, res.ByCode)
	}

	must(t, env.w.WriteConfig("reviews-routing.yaml", vsYAML(`  - fault: {delay: {fixedDelay: 300ms, percentage: {value: 100}}}
    route: [{destination: {host: reviews, subset: v1}}]
`)))
	delayed := func(r grpcapp.Result) bool { return r.OK() == r.Total && r.Latency(0) >= 300*time.Millisecond }
	res, err = grpcapp.WaitForWith(ctx, env.client, delayed, grpcapp.WaitOptions{Batch: grpcapp.RunOptions{N: 10, Concurrency: 10}})
	must(t, err)
	if min := res.Latency(0); min < 300*time.Millisecond {
		t.Errorf("fastest delayed RPC took %v, want ≥ 300ms", min)
	}
}

// (e) Retries hide a backend that fails every call's first attempt with
// UNAVAILABLE; without retries the same backend fails every call.
func TestRetriesHideTransientFailures(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	noRetry := vsYAML("  - route: [{destination: {host: reviews, subset: v1}}]\n")
	env := startEnv(ctx, t, envOptions{routing: noRetry, failFirstAttempt: true})
	_, err := grpcapp.WaitFor(ctx, env.client, grpcapp.AllCode(codes.Unavailable))
	must(t, err)
	before := env.client.Run(ctx, grpcapp.RunOptions{N: 200, Concurrency: 4})
	if before.ByCode[codes.Unavailable] != 200 {
		t.Fatalf("without retries want all 200 UNAVAILABLE, got %v", before)
	}

	must(t, env.w.WriteConfig("reviews-routing.yaml", vsYAML(`  - retries: {attempts: 3, retryOn: unavailable}
    route: [{destination: {host: reviews, subset: v1}}]
`)))
	_, err = grpcapp.WaitFor(ctx, env.client, grpcapp.AllSucceed())
	must(t, err)
	failedBefore := env.backends[0].Failed()
	after := env.client.Run(ctx, grpcapp.RunOptions{N: 500, Concurrency: 4})
	if after.OK() != 500 {
		t.Errorf("with retries want 500 OK, got %v", after)
	}
	if hidden := env.backends[0].Failed() - failedBefore; hidden < 500 {
		t.Errorf("backend failed only %d first attempts; the retries were not exercised", hidden)
	}
}

// recorder makes one RPC at a time and keeps every outcome in call order
// until its stop condition holds on the calls so far (or ctx ends).
type recorder struct {
	mu      sync.Mutex
	calls   []call
	changed chan struct{} // closed and replaced on every new call
	done    chan struct{}
}

type call struct {
	at      time.Time
	backend string
	err     error
}

// lastOn holds when the last n calls all succeeded on backend.
func lastOn(backend string, n int) func([]call) bool {
	return func(calls []call) bool {
		if len(calls) < n {
			return false
		}
		for _, c := range calls[len(calls)-n:] {
			if c.err != nil || c.backend != backend {
				return false
			}
		}
		return true
	}
}

func startRecording(ctx context.Context, c *grpcapp.Client, stop func([]call) bool) *recorder {
	r := &recorder{changed: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for ctx.Err() == nil && !r.record(ctx, c, stop) {
		}
	}()
	return r
}

// record makes one call and reports whether the stop condition now holds.
func (r *recorder) record(ctx context.Context, c *grpcapp.Client, stop func([]call) bool) bool {
	callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	backend, err := c.Call(callCtx, nil)
	cancel()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{at: time.Now(), backend: backend, err: err})
	close(r.changed)
	r.changed = make(chan struct{})
	return stop(r.calls)
}

// waitFor blocks until pred holds on the calls recorded so far.
func (r *recorder) waitFor(ctx context.Context, pred func([]call) bool) error {
	for {
		r.mu.Lock()
		ok, changed := pred(r.calls), r.changed
		r.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-r.done:
			return errors.New("recording stopped before the condition held")
		case <-ctx.Done():
			return fmt.Errorf("waiting on the recorded calls: %w", ctx.Err())
		}
	}
}

// wait returns the calls once the stop condition held, or fails when ctx ends first.
func (r *recorder) wait(ctx context.Context) ([]call, error) {
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	if ctx.Err() != nil {
		return r.calls, fmt.Errorf("recording: %w (%d calls)", ctx.Err(), len(r.calls))
	}
	return r.calls, nil
}

var nackMetric = regexp.MustCompile(`(?m)^weft_xds_nacks_total\{[^}]*\} (\S+)$`)

// closingNACK is the NACK a grpc-go client sends for a response that
// arrives while it closes: it says nothing of the config.
const closingNACK = `error="xdsChannel is closed"`

// assertNoNACKs reads weftd's NACK counter, which counts rejections from
// every proxy that ever connected, not only those still connected. NACKs
// weftd logged as a closing client's are not held against the config
// (each NACK is logged once, so the lines count them).
func assertNoNACKs(t *testing.T, w *harness.Weftd) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err := w.Metrics(ctx)
	if err != nil {
		t.Errorf("metrics: %v", err)
		return
	}
	if !strings.Contains(text, "weft_xds_pushes_total") {
		t.Errorf("metrics lack weft_xds_pushes_total; is this weftd?")
	}
	total := 0.0
	for _, m := range nackMetric.FindAllStringSubmatch(text, -1) {
		n, _ := strconv.ParseFloat(m[1], 64)
		total += n
	}
	if closing := float64(strings.Count(w.Logs(), closingNACK)); total > closing {
		t.Errorf("weftd counted %v NACKs, %v of them from closing clients:\n%s", total, closing, text)
	}
}
