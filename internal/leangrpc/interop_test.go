package leangrpc

import (
	"context"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
)

// serveTest serves s on a loopback port until the test ends.
func serveTest(t *testing.T, s *Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(lis) }()
	t.Cleanup(func() {
		s.Stop()
		if err := <-done; err != grpc.ErrServerStopped {
			t.Errorf("Serve returned %v, want grpc.ErrServerStopped", err)
		}
	})
	return lis.Addr().String()
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// TestGRPCInteropCases runs gRPC's own interop client cases (gRPC-Go's
// client, an independent HTTP/2 and gRPC implementation) against gRPC's
// interop test service served by this transport. A failing case exits
// the test binary with the case's message.
func TestGRPCInteropCases(t *testing.T) {
	s := NewServer(Options{Logger: testLogger(t)})
	testgrpc.RegisterTestServiceServer(s, interop.NewTestServer())
	cc := dial(t, serveTest(t, s))
	tc := testgrpc.NewTestServiceClient(cc)
	cases := map[string]func(ctx context.Context){
		"empty unary":                 func(ctx context.Context) { interop.DoEmptyUnaryCall(ctx, tc) },
		"large unary":                 func(ctx context.Context) { interop.DoLargeUnaryCall(ctx, tc) },
		"client streaming":            func(ctx context.Context) { interop.DoClientStreaming(ctx, tc) },
		"server streaming":            func(ctx context.Context) { interop.DoServerStreaming(ctx, tc) },
		"ping pong":                   func(ctx context.Context) { interop.DoPingPong(ctx, tc) },
		"empty stream":                func(ctx context.Context) { interop.DoEmptyStream(ctx, tc) },
		"timeout on sleeping server":  func(ctx context.Context) { interop.DoTimeoutOnSleepingServer(ctx, tc) },
		"cancel after begin":          func(ctx context.Context) { interop.DoCancelAfterBegin(ctx, tc) },
		"cancel after first response": func(ctx context.Context) { interop.DoCancelAfterFirstResponse(ctx, tc) },
		"custom metadata":             func(ctx context.Context) { interop.DoCustomMetadata(ctx, tc) },
		"status code and message":     func(ctx context.Context) { interop.DoStatusCodeAndMessage(ctx, tc) },
		"special status message":      func(ctx context.Context) { interop.DoSpecialStatusMessage(ctx, tc) },
		"unimplemented method":        func(ctx context.Context) { interop.DoUnimplementedMethod(ctx, cc) },
		"unimplemented service": func(ctx context.Context) {
			interop.DoUnimplementedService(ctx, testgrpc.NewUnimplementedServiceClient(cc))
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			run(ctx)
		})
	}
}
