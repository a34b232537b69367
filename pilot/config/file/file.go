// Package file is weft's file-mode config source: it reads Istio and
// Kubernetes YAML/JSON from a directory tree, keeps the last good config in
// force when a file or resource goes bad, and watches for changes.
package file

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/validation"
)

// Options configure a Source.
type Options struct {
	// Dir is read recursively for *.yaml, *.yml and *.json files.
	Dir string
	// Logger receives every config error; nil means slog.Default().
	Logger *slog.Logger
	// Debounce is how long a burst of file events is coalesced; 0 means 50ms.
	Debounce time.Duration
	// MaxFileBytes refuses larger files (their last good content stays in
	// force); 0 means DefaultMaxFileBytes.
	MaxFileBytes int64
	// Rescan is the period of the backstop rescan that catches what file
	// events miss (permissions restored, a watch lost); 0 means 5s.
	Rescan time.Duration
}

// DefaultMaxFileBytes bounds what one config file can make weftd hold: a
// mesh's config is a few MiB in all.
const DefaultMaxFileBytes = 16 << 20

// Source reads config from Options.Dir. Its methods are safe for
// concurrent use.
type Source struct {
	dir      string
	log      *slog.Logger
	debounce time.Duration
	maxBytes int64
	rescan   time.Duration

	mu       sync.Mutex
	files    map[string]*fileState
	accepted *config.Snapshot
	errs     []*config.Error
	loaded   bool
	// read reads a file; tests running as root replace it to emulate
	// permissions, which root bypasses.
	read func(path string, limit int64) ([]byte, error)
	// logged are the errors already logged, so a reload logs only new ones.
	logged map[config.Error]bool
}

// fileState is what is known about one file.
type fileState struct {
	data []byte          // content last read
	objs []config.Object // objects in force for this file
	errs []*config.Error // read/decode errors of the content last read
	good bool            // objs come from content that decoded without error
}

// New returns a Source for opts; nothing is read until Load or Run.
func New(opts Options) *Source {
	s := &Source{dir: opts.Dir, log: opts.Logger, debounce: opts.Debounce, maxBytes: opts.MaxFileBytes,
		rescan: opts.Rescan, files: map[string]*fileState{}, read: readLimited}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.debounce <= 0 {
		s.debounce = 50 * time.Millisecond
	}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxFileBytes
	}
	if s.rescan <= 0 {
		s.rescan = 5 * time.Second
	}
	return s
}

// Load reads every config file now and returns the accepted snapshot and
// all errors (which are also logged).
func (s *Source) Load() (*config.Snapshot, []*config.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reload(true)
	return s.accepted, s.errs
}

// Errors returns the errors of the last load.
func (s *Source) Errors() []*config.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errs
}

// reload rescans the directory. Unless force, it does nothing more when
// no file changed, so that events which change nothing (a swap file
// written) neither log the same errors again nor rebuild the snapshot.
func (s *Source) reload(force bool) {
	paths, _, err := scan(s.dir)
	if err != nil {
		// The directory itself is gone or unreadable: keep everything.
		s.errs = []*config.Error{{File: s.dir, Message: fmt.Sprintf("reading config directory: %v", err)}}
		s.logErrors()
		return
	}
	changed := s.readFiles(paths)
	if !changed && !force && s.loaded {
		return
	}
	candidate, dupErrs := s.candidate(paths)
	accepted, valErrs := validation.AcceptSnapshot(s.accepted, candidate)
	s.accepted, s.loaded = accepted, true
	s.errs = append(append(s.fileErrors(paths), dupErrs...), valErrs...)
	s.logErrors()
	s.log.Info("config loaded", "dir", s.dir, "files", len(paths), "resources", accepted.Len(), "errors", len(s.errs))
}

// readFiles reads and decodes files whose content changed, and forgets
// files that are gone; it reports whether anything changed.
func (s *Source) readFiles(paths []string) bool {
	changed := false
	present := map[string]bool{}
	for _, p := range paths {
		present[p] = true
		if s.readFile(p) {
			changed = true
		}
	}
	for p := range s.files {
		if !present[p] {
			delete(s.files, p)
			changed = true
		}
	}
	return changed
}

// readFile updates one file's state. A file that cannot be read or
// decoded keeps its last good objects in force; one that never decoded
// cleanly contributes the documents that did decode.
func (s *Source) readFile(path string) bool {
	st := s.files[path]
	if st == nil {
		st = &fileState{}
		s.files[path] = st
	}
	data, err := s.read(path, s.maxBytes)
	if err != nil {
		readErr := &config.Error{File: path, Message: fmt.Sprintf("reading file: %v", err)}
		same := len(st.errs) == 1 && st.data == nil && *st.errs[0] == *readErr
		st.data, st.errs = nil, []*config.Error{readErr}
		return !same
	}
	if st.data != nil && bytes.Equal(data, st.data) {
		return false
	}
	// As istiod reads files: a field Istio's schema lacks is dropped, said out loud.
	objs, errs, dropped := config.DecodeServing(path, data)
	s.reportUnused(objs)
	for _, w := range dropped {
		s.log.LogAttrs(context.Background(), slog.LevelWarn, "unknown field ignored, as istiod ignores it; weftctl validate rejects it", w.Attrs()...)
	}
	errs = s.dropForeign(errs)
	st.data, st.errs = data, errs
	if len(errs) == 0 || !st.good {
		st.objs, st.good = objs, len(errs) == 0
	}
	return true
}

// candidate builds the snapshot of all files' objects in sorted file
// order; the first definition of a resource wins.
func (s *Source) candidate(paths []string) (*config.Snapshot, []*config.Error) {
	b := config.NewBuilder()
	var errs []*config.Error
	for _, p := range paths {
		for _, o := range s.files[p].objs {
			if err := b.Add(o); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return b.Finish(), errs
}

func (s *Source) fileErrors(paths []string) []*config.Error {
	var errs []*config.Error
	for _, p := range paths {
		st := s.files[p]
		if len(st.errs) > 0 && st.good && s.isNew(st.errs) {
			s.log.Warn("config file has errors; its last good content stays in force", "file", p, "errors", len(st.errs))
		}
		errs = append(errs, st.errs...)
	}
	return errs
}

// isNew reports whether any of errs has not been logged yet.
func (s *Source) isNew(errs []*config.Error) bool {
	for _, e := range errs {
		if !s.logged[*e] {
			return true
		}
	}
	return false
}

// logErrors logs the errors that are new since the last reload: with
// thousands of bad documents, an unrelated edit must not repeat them all.
func (s *Source) logErrors() {
	logged := make(map[config.Error]bool, len(s.errs))
	for _, e := range s.errs {
		if !s.logged[*e] {
			s.log.LogAttrs(context.Background(), slog.LevelError, "config error", e.Attrs()...)
		}
		logged[*e] = true
	}
	s.logged = logged
}

// dropForeign logs, and leaves out of errs, the problems of Kubernetes
// objects weft does not read (a Deployment with a typo): they are not
// weft's to judge, so they must not keep the file's Istio resources from
// being updated. An unknown istio.io kind stays an error: it is most
// likely a typo for a kind weft reads, whose last good version should
// stay in force.
func (s *Source) dropForeign(errs []*config.Error) []*config.Error {
	kept := errs[:0:0]
	for _, e := range errs {
		if e.Reason != config.ReasonForeign {
			kept = append(kept, e)
			continue
		}
		s.log.LogAttrs(context.Background(), slog.LevelWarn, "invalid resource of a kind weft does not read; ignored", e.Attrs()...)
	}
	return kept
}

// reportUnused says, once per file change, which objects weft reads but
// does not act on, so nothing in a config file is silently ignored.
func (s *Source) reportUnused(objs []config.Object) {
	for _, o := range objs {
		switch {
		case o.Foreign():
			s.log.Info("resource kind not read by weft; ignored", "file", o.Origin.File, "line", o.Origin.Line,
				"kind", o.Key.Kind, "namespace", o.Key.Namespace, "name", o.Key.Name)
		case !config.Implemented(o.Key.Kind):
			s.log.Warn(o.Key.Kind+" is not supported by weft: it is validated but changes no proxy's configuration",
				"file", o.Origin.File, "line", o.Origin.Line, "kind", o.Key.Kind, "namespace", o.Key.Namespace, "name", o.Key.Name)
		}
	}
}
