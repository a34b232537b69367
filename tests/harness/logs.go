package harness

import (
	"bytes"
	"sync"
	"testing"
)

// maxKeptLogs bounds the copy of weftd's output kept for Logs().
const maxKeptLogs = 16 << 20

// lineLogger forwards a subprocess's output to the test log line by line and
// keeps a bounded copy. After close it drops writes: t.Logf panics once a test ends.
type lineLogger struct {
	mu      sync.Mutex
	t       testing.TB
	prefix  string
	partial []byte
	all     bytes.Buffer
	closed  bool
}

func newLineLogger(t testing.TB, prefix string) *lineLogger {
	return &lineLogger{t: t, prefix: prefix}
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.all.Len()+len(p) <= maxKeptLogs {
		l.all.Write(p)
	}
	if l.closed {
		return len(p), nil
	}
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.t.Logf("%s%s", l.prefix, l.partial[:i])
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

// close flushes a trailing partial line and stops forwarding.
func (l *lineLogger) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 && !l.closed {
		l.t.Logf("%s%s", l.prefix, l.partial)
	}
	l.partial, l.closed = nil, true
}

func (l *lineLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}
