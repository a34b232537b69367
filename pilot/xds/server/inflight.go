package server

import (
	"time"

	"golang.org/x/sync/semaphore"
)

// inflight is a stream's responses sent and not yet answered, guarded by
// the stream's lock; due runs when the oldest answer is due.
type inflight struct {
	budget  *semaphore.Weighted
	due     func()
	pending []sentResponse // in send order
	timer   *time.Timer
}

type sentResponse struct {
	nonce string
	size  int64
	due   time.Time
}

func (f *inflight) sent(nonce string, size int64, due time.Time) {
	f.pending = append(f.pending, sentResponse{nonce: nonce, size: size, due: due})
	if len(f.pending) == 1 {
		f.arm()
	}
}

// answered releases the response with nonce and any sent before it: an
// answer to a later response means the earlier ones were received too.
func (f *inflight) answered(nonce string) {
	for i, p := range f.pending {
		if p.nonce != nonce {
			continue
		}
		for _, q := range f.pending[:i+1] {
			f.budget.Release(q.size)
		}
		f.pending = append(f.pending[:0:0], f.pending[i+1:]...)
		f.arm()
		return
	}
}

// overdue reports whether the oldest response has waited past its due time.
func (f *inflight) overdue(now time.Time) bool {
	return len(f.pending) > 0 && !now.Before(f.pending[0].due)
}

func (f *inflight) arm() {
	if len(f.pending) == 0 {
		return
	}
	d := time.Until(f.pending[0].due)
	if f.timer == nil {
		f.timer = time.AfterFunc(d, f.due)
		return
	}
	f.timer.Reset(d)
}

// releaseAll gives back every response's bytes when the stream ends.
func (f *inflight) releaseAll() {
	for _, p := range f.pending {
		f.budget.Release(p.size)
	}
	f.pending = nil
	if f.timer != nil {
		f.timer.Stop()
	}
}
