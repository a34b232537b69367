package server

import (
	"sync"

	"golang.org/x/time/rate"
)

// A client that repeats a NACK must not turn weftd's log into an
// amplifier: each (proxy, type, nonce) is logged once, and all NACK lines
// together at most nackLogRate per second (burst nackLogBurst). The NACK
// metric still counts every one.
const (
	nackLogRate  = 10
	nackLogBurst = 50
)

// nackLog decides which NACKs are logged.
type nackLog struct {
	limit *rate.Limiter

	mu         sync.Mutex
	suppressed int // lines dropped by the rate limit since the last logged one
}

func newNackLog() *nackLog {
	return &nackLog{limit: rate.NewLimiter(nackLogRate, nackLogBurst)}
}

// allow reports whether a NACK not logged before may be logged now, and
// how many were dropped by the rate limit before it.
func (n *nackLog) allow() (ok bool, dropped int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.limit.Allow() {
		n.suppressed++
		return false, 0
	}
	dropped, n.suppressed = n.suppressed, 0
	return true, dropped
}

// firstNack records nonce as the one last NACKed for typeURL and reports
// whether it is new. Callers hold ps.mu.
func (ps *proxyState) firstNack(typeURL, nonce string) bool {
	if ps.nackNonces == nil {
		ps.nackNonces = map[string]string{}
	}
	if ps.nackNonces[typeURL] == nonce {
		return false
	}
	ps.nackNonces[typeURL] = nonce
	return true
}
