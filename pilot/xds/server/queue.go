package server

import (
	"context"
	"sync"
	"time"
)

// pushLane separates pushes for proxies that just connected from pushes
// for config changes: workers alternate between lanes, so a reconnect
// storm cannot starve a change and a change cannot stall reconnects.
type pushLane int

const (
	laneConnect pushLane = iota
	laneChange
	laneCount
)

// pushQueue holds proxies waiting for a push, each at most once: a proxy
// queued again before its turn is pushed once, from the newest mesh.
type pushQueue struct {
	mu     sync.Mutex
	wake   *sync.Cond
	lanes  [laneCount][]queued
	queued map[*proxyState]bool
	next   pushLane
	closed bool
}

type queued struct {
	ps    *proxyState
	since time.Time
}

func newPushQueue() *pushQueue {
	q := &pushQueue{queued: map[*proxyState]bool{}}
	q.wake = sync.NewCond(&q.mu)
	return q
}

// add queues ps in lane unless it is already waiting.
func (q *pushQueue) add(ps *proxyState, lane pushLane) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.queued[ps] {
		return
	}
	q.queued[ps] = true
	q.lanes[lane] = append(q.lanes[lane], queued{ps, time.Now()})
	q.wake.Signal()
}

// take waits for the next proxy, serving the lanes in turn; false once closed.
func (q *pushQueue) take() (queued, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.closed {
			return queued{}, false
		}
		for range laneCount {
			lane := q.next
			q.next = (q.next + 1) % laneCount
			if len(q.lanes[lane]) > 0 {
				item := q.lanes[lane][0]
				q.lanes[lane][0] = queued{}
				q.lanes[lane] = q.lanes[lane][1:]
				delete(q.queued, item.ps)
				return item, true
			}
		}
		q.wake.Wait()
	}
}

// depth is the number of proxies waiting.
func (q *pushQueue) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queued)
}

func (q *pushQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.wake.Broadcast()
}

// runPushWorkers pushes queued proxies with n workers until ctx ends:
// at most n proxies are generated and published at once.
func (s *Server) runPushWorkers(ctx context.Context, n int) {
	for range n {
		go func() {
			for {
				item, ok := s.queue.take()
				if !ok {
					return
				}
				s.metrics.queueWait.Observe(time.Since(item.since).Seconds())
				s.push(item.ps)
			}
		}()
	}
	go func() {
		<-ctx.Done()
		s.queue.close()
	}()
}
