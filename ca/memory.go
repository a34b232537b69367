package ca

import (
	"context"
	"sync"
	"time"
)

// lazyMemorySource generates a self-signed root on first sync and keeps it
// for the life of the process (file mode: no API server to persist it in).
type lazyMemorySource struct {
	trustDomain string
	now         func() time.Time
	lifetime    time.Duration

	once sync.Once
	m    *Material
	err  error
}

func (l *lazyMemorySource) sync(context.Context) (*Material, error) {
	l.once.Do(func() { l.m, l.err = NewSelfSignedRoot(l.trustDomain, l.now(), l.lifetime) })
	return l.m, l.err
}
