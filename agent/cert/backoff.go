package cert

import "time"

// backoff doubles the retry delay from initial up to max (jitter included). Jitter spreads the
// retries of many agents restarted together so they do not hit the CA in
// lockstep.
type backoff struct {
	initial, max time.Duration
	jitter       float64 // fraction of the delay, e.g. 0.2 means ±20%
	rand         func() float64
	next         time.Duration
}

func (b *backoff) reset() { b.next = 0 }

// delay returns how long to wait before the next attempt and advances.
func (b *backoff) delay() time.Duration {
	if b.next == 0 {
		b.next = b.initial
	}
	d := b.next
	b.next = min(2*b.next, b.max)
	return min(jitter(d, b.jitter, b.rand()), b.max)
}

// jitter scales d by a factor in [1-frac, 1+frac) chosen by r in [0, 1).
func jitter(d time.Duration, frac, r float64) time.Duration {
	return time.Duration(float64(d) * (1 + frac*(2*r-1)))
}
