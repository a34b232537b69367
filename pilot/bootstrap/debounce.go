package bootstrap

import (
	"context"
	"time"
)

// DebounceOptions bounds how long changes are held: a push waits for Quiet
// without new changes, but never longer than Max after the first one.
type DebounceOptions struct {
	Quiet time.Duration
	Max   time.Duration
}

// debounce delivers the latest value from in once changes settle, so a
// burst of edits costs one translation and one push.
func debounce[T any](ctx context.Context, in <-chan T, opts DebounceOptions, deliver func(T)) {
	var (
		pending  T
		have     bool
		quiet    = stoppedTimer()
		deadline = stoppedTimer()
	)
	defer quiet.Stop()
	defer deadline.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case v := <-in:
			pending = v
			quiet.Reset(opts.Quiet)
			if !have {
				deadline.Reset(opts.Max)
			}
			have = true
			continue
		case <-quiet.C:
		case <-deadline.C:
		}
		if have {
			quiet.Stop()
			deadline.Stop()
			have = false
			deliver(pending)
		}
	}
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}
