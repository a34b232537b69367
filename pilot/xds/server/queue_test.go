package server

import (
	"fmt"
	"testing"

	"github.com/weftmesh/weft/pilot/xds"
)

func queuedProxies(n int, prefix string) []*proxyState {
	out := make([]*proxyState, n)
	for i := range out {
		out[i] = newProxyState(&xds.Proxy{ID: fmt.Sprintf("%s-%d", prefix, i)}, Identity{})
	}
	return out
}

// A reconnect storm must not starve a config change: with 1000 proxies
// waiting to connect, the changed proxies are served every other turn.
func TestPushQueueServesLanesInTurn(t *testing.T) {
	q := newPushQueue()
	storm, changed := queuedProxies(1000, "connect"), queuedProxies(3, "change")
	for _, ps := range storm {
		q.add(ps, laneConnect)
	}
	for _, ps := range changed {
		q.add(ps, laneChange)
	}
	var order []string
	for range 6 {
		item, _ := q.take()
		order = append(order, item.ps.Proxy().ID)
	}
	want := []string{"connect-0", "change-0", "connect-1", "change-1", "connect-2", "change-2"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if q.depth() != 997 {
		t.Fatalf("depth %d, want 997", q.depth())
	}
}

// A proxy queued again before its turn is pushed once.
func TestPushQueueCoalesces(t *testing.T) {
	q := newPushQueue()
	ps := queuedProxies(1, "p")[0]
	for range 5 {
		q.add(ps, laneChange)
	}
	q.add(ps, laneConnect)
	if q.depth() != 1 {
		t.Fatalf("depth %d after re-queueing one proxy, want 1", q.depth())
	}
	if _, ok := q.take(); !ok {
		t.Fatal("nothing to take")
	}
	q.add(ps, laneChange) // after its turn it can be queued again
	if q.depth() != 1 {
		t.Fatalf("depth %d, want 1", q.depth())
	}
	q.close()
	if _, ok := q.take(); ok {
		t.Fatal("take after close returned a proxy")
	}
}
