package grpcapp

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Bounds that keep a Run finite even with careless options.
const (
	maxRunCalls           = 1_000_000
	defaultPerCallTimeout = 5 * time.Second
	defaultRunTimeout     = 5 * time.Minute
	maxSampledErrors      = 10
)

// RunOptions describe a bounded batch of calls.
type RunOptions struct {
	N              int               // number of calls (required, capped at 1e6)
	Headers        map[string]string // request metadata for every call
	PerCallTimeout time.Duration     // default 5s
	Concurrency    int               // parallel callers, default 1
	Rate           float64           // calls started per second; 0 = as fast as possible
}

// Result summarises a Run.
type Result struct {
	Total     int                // calls completed
	ByBackend map[string]int     // successful calls per backend name
	ByCode    map[codes.Code]int // calls per final status code (OK included)
	Latencies []time.Duration    // per call, in completion order
	Errors    []string           // up to 10 sample error messages
	Elapsed   time.Duration
}

// Run makes opts.N calls, stopping early if ctx ends (default limit 5 min).
func (c *Client) Run(ctx context.Context, opts RunOptions) Result {
	opts = opts.withDefaults()
	ctx, cancel := withDefaultTimeout(ctx, defaultRunTimeout)
	defer cancel()
	start := time.Now()
	res := newResult()
	var mu sync.Mutex
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Go(func() {
			for range jobs {
				backend, lat, err := c.timedCall(ctx, opts)
				mu.Lock()
				res.add(backend, lat, err)
				mu.Unlock()
			}
		})
	}
	feedJobs(ctx, jobs, opts.N, opts.Rate)
	close(jobs)
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

func (o RunOptions) withDefaults() RunOptions {
	o.N = min(max(o.N, 0), maxRunCalls)
	if o.PerCallTimeout <= 0 {
		o.PerCallTimeout = defaultPerCallTimeout
	}
	o.Concurrency = min(max(o.Concurrency, 1), max(o.N, 1))
	return o
}

// feedJobs hands out n call tokens, paced at rate per second when rate > 0.
func feedJobs(ctx context.Context, jobs chan<- struct{}, n int, rate float64) {
	var tick <-chan time.Time
	if rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		tick = t.C
	}
	for i := range n {
		if i > 0 && tick != nil {
			select {
			case <-tick:
			case <-ctx.Done():
				return
			}
		}
		select {
		case jobs <- struct{}{}:
		case <-ctx.Done():
			return
		}
	}
}

// timedCall makes one call with the per-call timeout and measures it.
func (c *Client) timedCall(ctx context.Context, opts RunOptions) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.PerCallTimeout)
	defer cancel()
	start := time.Now()
	backend, err := c.Call(ctx, metadata.New(opts.Headers))
	return backend, time.Since(start), err
}

func newResult() Result {
	return Result{ByBackend: map[string]int{}, ByCode: map[codes.Code]int{}}
}

func (r *Result) add(backend string, lat time.Duration, err error) {
	r.Total++
	r.Latencies = append(r.Latencies, lat)
	code := status.Code(err)
	r.ByCode[code]++
	if err == nil {
		r.ByBackend[backend]++
		return
	}
	if len(r.Errors) < maxSampledErrors {
		r.Errors = append(r.Errors, err.Error())
	}
}

// OK is the number of successful calls.
func (r Result) OK() int { return r.ByCode[codes.OK] }

// Failed is the number of calls that ended with a non-OK status.
func (r Result) Failed() int { return r.Total - r.OK() }

// Share is the fraction of all completed calls that backend served.
func (r Result) Share(backend string) float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.ByBackend[backend]) / float64(r.Total)
}

// Latency returns the q-quantile (0..1) of observed latencies.
func (r Result) Latency(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.Latencies)
	slices.Sort(s)
	i := int(q * float64(len(s)-1))
	return s[min(max(i, 0), len(s)-1)]
}

// String renders e.g. "total=100 backends[v1=90 v2=10] codes[OK=100] p50=1ms p99=3ms".
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "total=%d backends[%s] codes[", r.Total, joinCounts(r.ByBackend))
	codesSeen := make(map[string]int, len(r.ByCode))
	for c, n := range r.ByCode {
		codesSeen[c.String()] = n
	}
	fmt.Fprintf(&b, "%s] p50=%v p99=%v", joinCounts(codesSeen), r.Latency(0.5), r.Latency(0.99))
	if len(r.Errors) > 0 {
		fmt.Fprintf(&b, " first_error=%q", r.Errors[0])
	}
	return b.String()
}

func joinCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
