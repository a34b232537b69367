package grpcapp

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// CallIDHeader carries a per-call id that stays the same across retry attempts.
const CallIDHeader = "x-call-id"

// testService answers grpc.testing.TestService with the backend's name.
type testService struct {
	testpb.UnimplementedTestServiceServer
	name      string
	failFirst bool
	memory    *CallMemory
	served    atomic.Int64
	failed    atomic.Int64
	peers     peerLog
}

func newTestService(opts BackendOptions) *testService {
	s := &testService{name: opts.Name, failFirst: opts.FailFirstAttempt, memory: opts.Memory}
	if s.failFirst && s.memory == nil {
		s.memory = NewCallMemory(DefaultCallMemory)
	}
	return s
}

// UnaryCall reports which backend served the call.
func (s *testService) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if err := s.maybeFail(ctx); err != nil {
		return nil, err
	}
	s.served.Add(1)
	s.peers.record(ctx)
	return &testpb.SimpleResponse{ServerId: s.name, Hostname: s.name}, nil
}

// EmptyCall is a cheap liveness RPC; it does not fail on purpose.
func (s *testService) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	s.served.Add(1)
	return &testpb.Empty{}, nil
}

// maybeFail fails the first attempt of each call id in FailFirstAttempt mode.
// Calls without an id are rejected loudly, since attempts cannot be told apart.
func (s *testService) maybeFail(ctx context.Context) error {
	if !s.failFirst {
		return nil
	}
	ids := metadata.ValueFromIncomingContext(ctx, CallIDHeader)
	if len(ids) == 0 || ids[0] == "" {
		return status.Errorf(codes.FailedPrecondition, "%s: FailFirstAttempt needs the %s header", s.name, CallIDHeader)
	}
	if s.memory.FirstSeen(ids[0]) {
		s.failed.Add(1)
		return status.Errorf(codes.Unavailable, "%s: failing first attempt of call %s on purpose", s.name, ids[0])
	}
	return nil
}
