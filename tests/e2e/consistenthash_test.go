package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
)

const hashDR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: backends, namespace: default}
spec:
  host: ` + localityHost + `
  trafficPolicy:
    loadBalancer:
      consistentHash: {httpHeaderName: x-user}`

// Istio's consistentHash httpHeaderName: "Hash based on a specific HTTP
// header", giving session affinity. Over 500 RPCs each x-user value lands
// on one backend every time, and the 20 values spread over more than one
// of the four backends (grpc-go's ring_hash from weftd's cluster and route
// hash policy).
func TestConsistentHashByHeader(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, c := startZoned(ctx, t, hashDR)
	user := func(i int) map[string]string { return map[string]string{"x-user": fmt.Sprintf("user-%d", i)} }
	// Warm up: every value once, until all succeed, so each value's backend
	// has a connection and no pick waits on a connecting one.
	_, err := grpcapp.WaitFor(ctx, c, grpcapp.AllSucceed())
	must(t, err)
	for i := range 20 {
		if r := c.Run(ctx, grpcapp.RunOptions{N: 5, Headers: user(i)}); r.OK() != 5 {
			t.Fatalf("warm-up for user-%d: %v", i, r)
		}
	}
	used := map[string]bool{}
	for i := range 20 {
		r := c.Run(ctx, grpcapp.RunOptions{N: 25, Concurrency: 5, Headers: user(i)})
		if r.OK() != 25 || len(r.ByBackend) != 1 {
			t.Errorf("user-%d: want all 25 RPCs on one backend, got %v", i, r)
		}
		for b := range r.ByBackend {
			used[b] = true
		}
	}
	if len(used) < 2 {
		t.Errorf("20 header values all landed on %v: the hash does not spread", used)
	}
	t.Logf("20 users over backends %v", used)
}
