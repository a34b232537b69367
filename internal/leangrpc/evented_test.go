package leangrpc

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
)

// eventedTestService serves FullDuplexCall evented and the rest of gRPC's
// interop service with its handlers.
type eventedTestService struct {
	testgrpc.TestServiceServer
	open, ended atomic.Int32
}

func (s *eventedTestService) OpenEvents(method string, ss grpc.ServerStream) (Events, error) {
	if method != fullDuplex {
		return nil, nil
	}
	s.open.Add(1)
	return &duplexEvents{ss: ss, svc: s}, nil
}

// duplexEvents answers each request as FullDuplexCall does.
type duplexEvents struct {
	ss    grpc.ServerStream
	svc   *eventedTestService
	ended bool
}

func (e *duplexEvents) Next() (bool, error) {
	req := &testgrpc.StreamingOutputCallRequest{}
	switch err := e.ss.RecvMsg(req); {
	case errors.Is(err, io.EOF):
		return true, nil
	case err != nil:
		return true, err
	}
	for _, p := range req.GetResponseParameters() {
		resp := &testgrpc.StreamingOutputCallResponse{Payload: &testgrpc.Payload{Type: req.GetResponseType(), Body: make([]byte, p.GetSize())}}
		if err := e.ss.SendMsg(resp); err != nil {
			return true, err
		}
	}
	return false, nil
}

func (e *duplexEvents) Ended() {
	if e.ended {
		panic("Ended twice")
	}
	e.ended = true
	e.svc.ended.Add(1)
}

func TestEventedCallsPassInteropCases(t *testing.T) {
	svc := &eventedTestService{TestServiceServer: interop.NewTestServer()}
	s := NewServer(Options{})
	testgrpc.RegisterTestServiceServer(s, svc)
	tc := testgrpc.NewTestServiceClient(dial(t, serveTest(t, s)))
	for name, run := range map[string]func(ctx context.Context){
		"ping pong":                   func(ctx context.Context) { interop.DoPingPong(ctx, tc) },
		"empty stream":                func(ctx context.Context) { interop.DoEmptyStream(ctx, tc) },
		"cancel after first response": func(ctx context.Context) { interop.DoCancelAfterFirstResponse(ctx, tc) },
		"large unary (a handler)":     func(ctx context.Context) { interop.DoLargeUnaryCall(ctx, tc) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			run(ctx)
		})
	}
	if svc.open.Load() != 3 {
		t.Errorf("%d calls opened evented, want 3 (the FullDuplexCall cases)", svc.open.Load())
	}
	waitFor(t, func() bool { return svc.ended.Load() == 3 }, "every evented call ended once")
}

// An idle evented call costs no goroutine: its connection's reader is
// all; when the connections go, each call's Ended runs.
func TestIdleEventedCallsCostNoGoroutine(t *testing.T) {
	svc := &eventedTestService{TestServiceServer: interop.NewTestServer()}
	s := NewServer(Options{})
	testgrpc.RegisterTestServiceServer(s, svc)
	addr := serveTest(t, s)
	const n = 40
	var clients []*rawClient
	for range n {
		c := rawDial(t, addr)
		c.open(1, fullDuplex)
		clients = append(clients, c)
	}
	waitFor(t, func() bool { return svc.open.Load() == n }, "every call opened")
	want := n + 1 // and Serve's
	waitFor(t, func() bool { return serverGoroutines() == want }, "one goroutine per connection")
	time.Sleep(50 * time.Millisecond) // anything more would show by now
	if got := serverGoroutines(); got != want {
		t.Errorf("%d idle evented calls: %d goroutines of the server, want %d", n, got, want)
	}
	for _, c := range clients {
		c.nc.Close()
	}
	waitFor(t, func() bool { return svc.ended.Load() == n }, "Ended for every call whose connection closed")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
