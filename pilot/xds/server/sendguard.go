package server

import (
	"context"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Defaults for Options.SendTimeout and Options.SendBudgetBytes.
const (
	// A proxy that has not answered a response (ACK or NACK) this long, or
	// cannot take the next one, loses its stream: it grants no HTTP/2
	// window, and gRPC would hold the response for as long as it stays.
	DefaultSendTimeout = 30 * time.Second
	// Responses sent and not yet answered, to all proxies together, hold at
	// most this much; further sends wait for room.
	DefaultSendBudgetBytes = 128 << 20
)

// sendGuard bounds what slow readers can make weftd hold. gRPC accepts a
// response into its buffers without waiting for the client's window, so a
// response counts as in flight until the client answers it.
type sendGuard struct {
	timeout  time.Duration
	budget   *semaphore.Weighted
	total    int64
	timeouts func(reason string)
}

func newSendGuard(timeout time.Duration, budget int64, timeouts func(string)) *sendGuard {
	if timeout <= 0 {
		timeout = DefaultSendTimeout
	}
	if budget <= 0 {
		budget = DefaultSendBudgetBytes
	}
	return &sendGuard{timeout: timeout, budget: semaphore.NewWeighted(budget), total: budget, timeouts: timeouts}
}

// response is what both ADS flavours' responses have.
type response interface {
	proto.Message
	GetNonce() string
}

// guarded wraps a stream's Send: it takes the response's bytes from the
// budget, sends within the deadline, and records the response in flight.
func guarded[T response](s *Server, st *stream, ctx context.Context, send func(T) error) func(T) error {
	g := s.sends
	abandon := func() { s.conns.closePeer(ctx) } // gRPC would hold what it has of the response
	return func(resp T) error {
		size := min(max(int64(proto.Size(resp)), 1), g.total) // one larger than the budget takes all of it
		if err := g.send(ctx, size, func() error { return send(resp) }, abandon); err != nil {
			return err
		}
		st.inflight.sent(resp.GetNonce(), size, time.Now().Add(g.timeout))
		return nil
	}
}

// send runs do once size bytes are free, giving up when the budget or the
// client keeps it waiting past the deadline: then abandon (which closes the
// stream's connection) ends do. A failed send gives its bytes back.
func (g *sendGuard) send(ctx context.Context, size int64, do func() error, abandon func()) error {
	deadline, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	if err := g.budget.Acquire(deadline, size); err != nil {
		return g.expired(ctx, "budget")
	}
	var late atomic.Bool
	t := time.AfterFunc(time.Until(deadlineOf(deadline)), func() { late.Store(true); abandon() })
	err := do()
	t.Stop()
	switch {
	case late.Load():
		g.budget.Release(size)
		return g.timedOut("client") // counted even if the close ended the stream first
	case err != nil:
		g.budget.Release(size)
	}
	return err
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

func (g *sendGuard) expired(ctx context.Context, reason string) error {
	if ctx.Err() != nil {
		return ctx.Err() // the stream ended first: nothing to count
	}
	return g.timedOut(reason)
}

func (g *sendGuard) timedOut(reason string) error {
	g.timeouts(reason)
	return status.Errorf(codes.DeadlineExceeded, "xDS response not taken within %v (waiting for: %s); ending the stream", g.timeout, reason)
}
