package server

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestSendGuardDeadlineAndBudget(t *testing.T) {
	var mu sync.Mutex
	var reasons []string
	counted := func() string { mu.Lock(); defer mu.Unlock(); return fmt.Sprint(reasons) }
	g := newSendGuard(50*time.Millisecond, 100, func(r string) { mu.Lock(); reasons = append(reasons, r); mu.Unlock() })
	nop, ok := func() {}, func() error { return nil }
	closed := make(chan struct{})
	stalled := func() error { <-closed; return errors.New("connection closed") }
	if err := g.send(context.Background(), 100, stalled, func() { close(closed) }); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("a send the client never takes: %v, want DeadlineExceeded after its connection is closed", err)
	}
	// The abandoned send gave its bytes back; this one keeps the whole
	// budget (sent, not answered), so the next waits for room and gives up.
	if err := g.send(context.Background(), 100, ok, nop); err != nil {
		t.Fatalf("a send after the abandoned one: %v; its bytes were not given back", err)
	}
	if err := g.send(context.Background(), 10, ok, nop); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("a send past the budget: %v, want DeadlineExceeded", err)
	}
	if got := counted(); got != "[client budget]" {
		t.Errorf("timeouts counted %v, want [client budget]", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.send(ctx, 10, ok, nop); status.Code(err) == codes.DeadlineExceeded || counted() != "[client budget]" {
		t.Errorf("a send on an ended stream: %v, counted %v; want the stream's own end, not counted", err, counted())
	}
}

// manyServicesYAML makes a CDS response of several hundred KiB.
func manyServicesYAML(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc-%d, namespace: default}\nspec: {ports: [{name: grpc, port: 9080}, {name: http, port: 8080}]}\n", i)
	}
	return b.String()
}

// Clients that never read (no HTTP/2 window granted) lose their streams at
// the send deadline, are counted, and what their responses held is freed.
func TestStalledReadersAreEndedAndFreed(t *testing.T) {
	f := startWith(t, Options{SendTimeout: 300 * time.Millisecond})
	f.srv.Update(meshFromYAML(t, "big", reviewsYAML+manyServicesYAML(600)))
	// A reading client first, so the views all proxies share are built and
	// cached before the baseline: what is measured is what stalls hold.
	s, got := openSotW(t, f)
	s.Send(&discovery.DiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.ClusterType})
	next(t, got)
	before := liveHeap()
	const stalled = 20
	for i := range stalled {
		openStalled(t, f, fmt.Sprintf("sidecar~127.0.0.%d~stalled-%d.default~default.svc.cluster.local", 10+i, i))
	}
	deadline := time.Now().Add(20 * time.Second)
	for testutil.ToFloat64(f.srv.metrics.sendTimeouts.WithLabelValues("client")) < stalled || connected(f) > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("after 20s: %v send timeouts, %d proxies connected; want %d and only the reader",
				testutil.ToFloat64(f.srv.metrics.sendTimeouts.WithLabelValues("client")), connected(f), stalled)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if after := liveHeap(); after > before+16<<20 {
		t.Errorf("live heap %d MiB after the stalled streams ended, %d MiB before: their responses are still held", after>>20, before>>20)
	}
}

// openStalled opens a stream on its own connection with the smallest HTTP/2
// windows, asks for every cluster and never reads.
func openStalled(t *testing.T, f *fixture, id string) {
	t.Helper()
	conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := structpb.NewStruct(map[string]any{"NAMESPACE": "default"})
	if err := s.Send(&discovery.DiscoveryRequest{Node: &core.Node{Id: id, Metadata: md}, TypeUrl: resource.ClusterType}); err != nil {
		t.Fatal(err)
	}
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func connected(f *fixture) int { return int(testutil.ToFloat64(f.srv.metrics.connected)) }
