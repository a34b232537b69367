package file

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/weftmesh/weft/pilot/config"
)

// maxDelayFactor bounds coalescing: a directory that never goes quiet is
// still reloaded every maxDelayFactor × Debounce.
const maxDelayFactor = 20

// Run loads the config, calls fn with the accepted snapshot, then watches
// the directory tree (including directories and files created later, and
// editors that save by renaming) and calls fn again with every new
// accepted snapshot that differs from the last one given. Bursts of events
// are coalesced. Config errors are logged and never stop Run; it returns
// nil when ctx is done, or an error if the directory cannot be watched.
func (s *Source) Run(ctx context.Context, fn func(*config.Snapshot)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("file source: creating watcher: %w", err)
	}
	defer w.Close()
	r := &runner{s: s, w: w, watched: map[string]bool{}, fn: fn}
	// Watch before the first load, so no change in between is missed.
	if err := w.Add(s.dir); err != nil {
		return fmt.Errorf("file source: watching %s: %w", s.dir, err)
	}
	r.watched[s.dir] = true
	r.reload(true)
	return r.loop(ctx)
}

// runner is the state of one Run.
type runner struct {
	s       *Source
	w       *fsnotify.Watcher
	watched map[string]bool
	fn      func(*config.Snapshot)
	last    *config.Snapshot
	sent    bool
}

func (r *runner) loop(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var first time.Time // first event of the pending burst; zero if none
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-r.w.Events:
			if !ok {
				return errors.New("file source: watcher closed")
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			if first.IsZero() {
				first = time.Now()
			}
			if time.Since(first) < maxDelayFactor*r.s.debounce {
				timer.Reset(r.s.debounce)
			}
		case err, ok := <-r.w.Errors:
			if !ok {
				return errors.New("file source: watcher closed")
			}
			r.s.log.Warn("file watcher error; rescanning", "dir", r.s.dir, "error", err)
			timer.Reset(r.s.debounce) // events may have been dropped (queue overflow)
		case <-timer.C:
			first = time.Time{}
			r.reload(false)
		}
	}
}

// reload makes sure every directory is watched before reading, so a file
// created in a new directory is either read now or reported by an event;
// then it reloads and hands on the snapshot if it changed.
func (r *runner) reload(force bool) {
	for r.syncWatches() {
	}
	r.s.mu.Lock()
	r.s.reload(force)
	snap := r.s.accepted
	r.s.mu.Unlock()
	if snap == nil || (r.sent && snap.Equal(r.last)) {
		return
	}
	r.last, r.sent = snap, true
	r.fn(snap)
}

// syncWatches watches every directory of the tree and forgets removed
// ones; it reports whether a new directory was added.
func (r *runner) syncWatches() bool {
	_, dirs, err := scan(r.s.dir)
	if err != nil {
		return false
	}
	present, added := map[string]bool{}, false
	for _, d := range dirs {
		present[d] = true
		if r.watched[d] {
			continue
		}
		if err := r.w.Add(d); err != nil {
			r.s.log.Warn("cannot watch directory", "dir", d, "error", err)
			continue
		}
		r.watched[d], added = true, true
	}
	for d := range r.watched {
		if !present[d] {
			_ = r.w.Remove(d) // usually already gone with the directory
			delete(r.watched, d)
		}
	}
	return added
}
