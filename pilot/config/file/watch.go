package file

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
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
	r := &runner{s: s, w: w, fn: fn, dir: filepath.Clean(s.dir)}
	// Watch before the first load, so no change in between is missed.
	if err := w.Add(r.dir); err != nil {
		return fmt.Errorf("file source: watching %s: %w", s.dir, err)
	}
	r.watchParent()
	r.reload(true)
	return r.loop(ctx)
}

// runner is the state of one Run.
type runner struct {
	s      *Source
	w      *fsnotify.Watcher
	dir    string // s.dir, cleaned: compared with event and watch names
	parent string // watched for the directory being replaced; "" if not
	fn     func(*config.Snapshot)
	last   *config.Snapshot
	sent   bool
}

// watchParent watches the directory above the config directory, so that
// the config directory deleted and made again (or renamed over) is seen;
// the periodic rescan is the backstop where the parent cannot be watched.
func (r *runner) watchParent() {
	parent := filepath.Dir(r.dir)
	if parent == r.dir {
		return
	}
	if err := r.w.Add(parent); err != nil {
		r.s.log.Warn("cannot watch the config directory's parent; a replaced directory is seen by the periodic rescan",
			"dir", parent, "error", err, "rescan", r.s.rescan)
		return
	}
	r.parent = parent
}

// rewatchIfReplaced watches the config directory again when a new one
// appears under its name: the old watch, if any, follows the old inode.
func (r *runner) rewatchIfReplaced(ev fsnotify.Event) {
	if filepath.Clean(ev.Name) != r.dir || !ev.Has(fsnotify.Create) {
		return
	}
	_ = r.w.Remove(r.dir)
	if err := r.w.Add(r.dir); err != nil {
		r.s.log.Warn("cannot watch the new config directory; the periodic rescan still reads it", "dir", r.dir, "error", err)
	}
}

// relevant drops events about the parent's other entries.
func (r *runner) relevant(ev fsnotify.Event) bool {
	return r.parent == "" || filepath.Dir(ev.Name) != r.parent || filepath.Clean(ev.Name) == r.dir
}

func (r *runner) loop(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	rescan := time.NewTicker(r.s.rescan)
	defer rescan.Stop()
	var first time.Time // first event of the pending burst; zero if none
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-rescan.C:
			r.reload(false)
		case ev, ok := <-r.w.Events:
			if !ok {
				return errors.New("file source: watcher closed")
			}
			// Chmod counts: a file made readable again must be read again.
			if !r.relevant(ev) {
				continue
			}
			r.rewatchIfReplaced(ev)
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
// ones; it reports whether a new directory was added. The watcher's own
// list is the truth: a deleted directory's watch is gone even if a new
// directory of the same name has appeared since.
func (r *runner) syncWatches() bool {
	_, dirs, err := scan(r.dir)
	if err != nil {
		return false
	}
	watched := map[string]bool{}
	for _, d := range r.w.WatchList() {
		watched[filepath.Clean(d)] = true
	}
	present, added := map[string]bool{}, false
	for _, d := range dirs {
		d = filepath.Clean(d)
		present[d] = true
		if watched[d] {
			continue
		}
		if err := r.w.Add(d); err != nil {
			r.s.log.Warn("cannot watch directory", "dir", d, "error", err)
			continue
		}
		added = true
	}
	for d := range watched {
		if !present[d] && d != r.parent {
			_ = r.w.Remove(d) // usually already gone with the directory
		}
	}
	return added
}
