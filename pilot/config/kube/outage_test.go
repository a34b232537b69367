package kube

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// flaky fails its first `failures` requests as an absent API server does.
type flaky struct {
	failures int32
	calls    atomic.Int32
}

func (f *flaky) RoundTrip(*http.Request) (*http.Response, error) {
	if f.calls.Add(1) <= f.failures {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("{}"))}, nil
}

func newOutageTransport(next http.RoundTripper, logs io.Writer) *outageTransport {
	rt := waitOutOutages(slog.New(slog.NewTextHandler(logs, nil)))(next).(*outageTransport)
	rt.retry = time.Millisecond
	return rt
}

func TestInformerRequestsWaitOutAnOutage(t *testing.T) {
	var logs bytes.Buffer
	next := &flaky{failures: 5}
	rt := newOutageTransport(next, &logs)
	req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1:1/apis/networking.istio.io/v1/virtualservices?watch=true", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || next.calls.Load() != 6 {
		t.Fatalf("got %v, %v after %d calls; want 200 on the 6th", resp, err, next.calls.Load())
	}
	out := logs.String()
	if strings.Count(out, "API server unavailable") != 1 || strings.Count(out, "API server is back") != 1 {
		t.Errorf("want one line when the outage starts and one when it ends:\n%s", out)
	}
}

func TestWritesAndCancelledRequestsDoNotWait(t *testing.T) {
	rt := newOutageTransport(&flaky{failures: 1 << 30}, io.Discard)
	post, _ := http.NewRequest(http.MethodPost, "https://127.0.0.1:1/x", strings.NewReader("{}"))
	if _, err := rt.RoundTrip(post); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("a write got %v, want the connection error at once", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	get, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://127.0.0.1:1/x", nil)
	if _, err := rt.RoundTrip(get); err == nil {
		t.Error("a GET whose context ended returned no error")
	}
}
