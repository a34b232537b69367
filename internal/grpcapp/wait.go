package grpcapp

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
)

// Predicate decides whether a batch of calls shows the state a test waits for.
type Predicate func(Result) bool

// WaitOptions bound a WaitFor loop.
type WaitOptions struct {
	Batch    RunOptions    // calls per round; default 20 calls, 1s per call
	Interval time.Duration // pause between rounds; default 100ms
	Timeout  time.Duration // used when ctx has no deadline; default 30s
	Rounds   int           // maximum rounds; default 1000
}

func (o WaitOptions) withDefaults() WaitOptions {
	if o.Batch.N <= 0 {
		o.Batch.N = 20
	}
	if o.Batch.PerCallTimeout <= 0 {
		o.Batch.PerCallTimeout = time.Second
	}
	if o.Interval <= 0 {
		o.Interval = 100 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Rounds <= 0 {
		o.Rounds = 1000
	}
	return o
}

// WaitFor runs small batches of calls until pred holds for one whole batch,
// with default bounds (20 calls a round, 30s unless ctx says otherwise).
func WaitFor(ctx context.Context, c *Client, pred Predicate) (Result, error) {
	return WaitForWith(ctx, c, pred, WaitOptions{})
}

// WaitForWith is WaitFor with explicit bounds. It returns the last batch's Result.
func WaitForWith(ctx context.Context, c *Client, pred Predicate, opts WaitOptions) (Result, error) {
	opts = opts.withDefaults()
	ctx, cancel := withDefaultTimeout(ctx, opts.Timeout)
	defer cancel()
	var last Result
	for round := 0; round < opts.Rounds; round++ {
		last = c.Run(ctx, opts.Batch)
		if last.Total == opts.Batch.N && pred(last) {
			return last, nil
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("wait for %s: %w (last batch: %v)", c.Target(), ctx.Err(), last)
		case <-time.After(opts.Interval):
		}
	}
	return last, fmt.Errorf("wait for %s: condition not met after %d rounds (last batch: %v)", c.Target(), opts.Rounds, last)
}

// AllOn holds when every call succeeded on backend.
func AllOn(backend string) Predicate {
	return func(r Result) bool { return r.Total > 0 && r.ByBackend[backend] == r.Total }
}

// OnlyOn holds when every call succeeded and landed on one of backends.
func OnlyOn(backends ...string) Predicate {
	return func(r Result) bool {
		n := 0
		for _, b := range backends {
			n += r.ByBackend[b]
		}
		return r.Total > 0 && n == r.Total
	}
}

// AllSucceed holds when no call failed.
func AllSucceed() Predicate {
	return func(r Result) bool { return r.Total > 0 && r.OK() == r.Total }
}

// AllCode holds when every call ended with code.
func AllCode(code codes.Code) Predicate {
	return func(r Result) bool { return r.Total > 0 && r.ByCode[code] == r.Total }
}

// SeesAll holds when every listed backend served at least one call.
func SeesAll(backends ...string) Predicate {
	return func(r Result) bool {
		for _, b := range backends {
			if r.ByBackend[b] == 0 {
				return false
			}
		}
		return true
	}
}

// And holds when all of preds hold.
func And(preds ...Predicate) Predicate {
	return func(r Result) bool {
		for _, p := range preds {
			if !p(r) {
				return false
			}
		}
		return true
	}
}

// WaitServing waits until every backend is SERVING.
func WaitServing(ctx context.Context, backends ...*Backend) error {
	for _, b := range backends {
		if err := b.WaitServing(ctx); err != nil {
			return err
		}
	}
	return nil
}
