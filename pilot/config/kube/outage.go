package kube

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"time"
)

// outageRetry is how often a waiting informer request tries the API server
// again: changes flow within about this long of its return.
const outageRetry = 500 * time.Millisecond

// outageTransport makes the informers' requests (GETs: list and watch)
// wait out an API server outage instead of failing. A failed list or watch
// would grow the reflector's backoff to 30 s, so the first change after a
// 30 s outage reached proxies 25 s late; waiting here keeps it at its first
// step. Other requests (status writes) fail as before.
type outageTransport struct {
	next  http.RoundTripper
	log   *slog.Logger
	retry time.Duration
	down  *atomic.Bool // shared: one log line per outage, not per request
}

func waitOutOutages(log *slog.Logger) func(http.RoundTripper) http.RoundTripper {
	down := &atomic.Bool{}
	return func(rt http.RoundTripper) http.RoundTripper {
		return &outageTransport{next: rt, log: log, retry: outageRetry, down: down}
	}
}

func (t *outageTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.Body != nil {
		return t.next.RoundTrip(req)
	}
	for {
		resp, err := t.next.RoundTrip(req)
		if !unavailable(resp, err) {
			t.up()
			return resp, err
		}
		if t.down.CompareAndSwap(false, true) {
			t.log.Warn("kubernetes API server unavailable; watches wait for it and resume when it returns", "error", describe(resp, err))
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		select {
		case <-req.Context().Done():
			if err == nil {
				err = req.Context().Err()
			}
			return nil, err
		case <-time.After(t.retry):
		}
	}
}

func (t *outageTransport) up() {
	if t.down.CompareAndSwap(true, false) {
		t.log.Info("kubernetes API server is back")
	}
}

// unavailable: the server cannot be reached, or says it cannot serve yet
// (503 while it starts). Other errors and statuses are the caller's.
func unavailable(resp *http.Response, err error) bool {
	if err != nil {
		var opErr *net.OpError
		return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
			(errors.As(err, &opErr) && opErr.Op == "dial")
	}
	return resp.StatusCode == http.StatusServiceUnavailable
}

func describe(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}
