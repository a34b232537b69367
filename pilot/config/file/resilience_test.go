package file

import (
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/pilot/config"
)

// noRescan makes a test prove that file events alone keep the source live.
const noRescan = time.Hour

func newWatched(t *testing.T, dir string, logs io.Writer, o Options) *Source {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	o.Dir, o.Logger = dir, slog.New(slog.NewJSONHandler(logs, nil))
	if o.Rescan == 0 {
		o.Rescan = noRescan
	}
	return New(o)
}

// rm -rf dir; mkdir dir; cp …: the new directory is watched, and later
// edits in it still apply.
func TestDirectoryDeletedAndRecreatedKeepsWatching(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mesh")
	must(t, os.Mkdir(dir, 0o755))
	write(t, dir, "a.yaml", vsDoc("a", "a1"))
	ch := run(t, newWatched(t, dir, nil, Options{}))
	await(t, ch, map[string]string{"a": "a1"})

	must(t, os.RemoveAll(dir))
	must(t, os.Mkdir(dir, 0o755))
	write(t, dir, "a.yaml", vsDoc("a", "a2"))
	await(t, ch, map[string]string{"a": "a2"})
	write(t, dir, "a.yaml", vsDoc("a", "a3"))
	await(t, ch, map[string]string{"a": "a3"})
}

// A new directory renamed over the config directory's name is read and
// watched; the old one, moved aside, no longer counts.
func TestDirectoryRenamedOverKeepsWatching(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "mesh")
	must(t, os.Mkdir(dir, 0o755))
	write(t, dir, "a.yaml", vsDoc("a", "a1"))
	ch := run(t, newWatched(t, dir, nil, Options{}))
	await(t, ch, map[string]string{"a": "a1"})

	next := filepath.Join(root, "mesh.next")
	must(t, os.Mkdir(next, 0o755))
	write(t, next, "a.yaml", vsDoc("a", "a2"))
	must(t, os.Rename(dir, filepath.Join(root, "mesh.old")))
	must(t, os.Rename(next, dir))
	await(t, ch, map[string]string{"a": "a2"})
	write(t, filepath.Join(root, "mesh.old"), "a.yaml", vsDoc("a", "stale"))
	write(t, dir, "a.yaml", vsDoc("a", "a3"))
	await(t, ch, map[string]string{"a": "a3"})
}

// A file that cannot be read keeps its last good content; made readable
// again (chmod, no content change since) it is read again.
func TestFileReadableAgainIsReread(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", vsDoc("a", "a1"))
	src := newWatched(t, dir, nil, Options{})
	emulatePermissions(src)
	ch := run(t, src)
	await(t, ch, map[string]string{"a": "a1"})

	// The new content is never readable before the chmod: written with
	// mode 000 under a hidden name, then renamed into place.
	tmp, path := filepath.Join(dir, ".a.tmp"), filepath.Join(dir, "a.yaml")
	must(t, os.WriteFile(tmp, []byte(vsDoc("a", "a2")), 0))
	must(t, os.Rename(tmp, path))
	awaitErrors(t, src, func(errs []*config.Error) bool {
		return len(errs) == 1 && strings.Contains(errs[0].Message, "permission denied")
	})
	must(t, os.Chmod(path, 0o644))
	await(t, ch, map[string]string{"a": "a2"})
}

// awaitErrors waits until the source's current errors satisfy ok.
func awaitErrors(t *testing.T, src *Source, ok func([]*config.Error) bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !ok(src.Errors()) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for errors; have %v", src.Errors())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// emulatePermissions makes reads of mode-000 files fail, as they do for
// anyone but root: tests run as root in CI, and root reads any file.
func emulatePermissions(src *Source) {
	if os.Geteuid() != 0 {
		return // the kernel enforces it
	}
	src.read = func(path string, limit int64) ([]byte, error) {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm() == 0 {
			return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrPermission}
		}
		return readLimited(path, limit)
	}
}

// A change no file event reports (a write through a hard link outside the
// watched tree) is picked up by the periodic rescan.
func TestRescanCatchesWhatEventsMiss(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	write(t, dir, "a.yaml", vsDoc("a", "a1"))
	link := filepath.Join(outside, "a-link.yaml")
	must(t, os.Link(filepath.Join(dir, "a.yaml"), link))
	ch := run(t, newWatched(t, dir, nil, Options{Rescan: 20 * time.Millisecond}))
	await(t, ch, map[string]string{"a": "a1"})

	must(t, os.WriteFile(link, []byte(vsDoc("a", "a2")), 0o644))
	await(t, ch, map[string]string{"a": "a2"})
}

// A file over the size limit is refused with an error naming the file and
// the limit; its last good content stays, other files still apply.
func TestOversizeFileKeepsLastGoodContent(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", vsDoc("a", "a1"))
	src := newWatched(t, dir, nil, Options{MaxFileBytes: 4096})
	ch := run(t, src)
	await(t, ch, map[string]string{"a": "a1"})

	write(t, dir, "a.yaml", vsDoc("a", "a2")+"# "+strings.Repeat("x", 5000)+"\n")
	write(t, dir, "b.yaml", vsDoc("b", "b1"))
	await(t, ch, map[string]string{"a": "a1", "b": "b1"})
	errs := src.Errors()
	if len(errs) != 1 || errs[0].File != filepath.Join(dir, "a.yaml") || !strings.Contains(errs[0].Message, "over the limit of 4096") {
		t.Fatalf("errors %v, want one naming a.yaml and the 4096-byte limit", errs)
	}
	write(t, dir, "a.yaml", vsDoc("a", "a3"))
	await(t, ch, map[string]string{"a": "a3", "b": "b1"})
}

// A reload logs only errors that are new: an unrelated edit next to many
// bad documents does not repeat them.
func TestReloadLogsOnlyNewErrors(t *testing.T) {
	dir := t.TempDir()
	var bad []string
	for _, n := range []string{"x", "y", "z"} {
		bad = append(bad, strings.Replace(vsDoc(n, n), "hosts: ["+n+"]", "hosts: "+n, 1))
	}
	write(t, dir, "bad.yaml", strings.Join(bad, "---\n"))
	write(t, dir, "a.yaml", vsDoc("a", "a1"))
	var logs syncBuffer
	ch := run(t, newWatched(t, dir, &logs, Options{}))
	await(t, ch, map[string]string{"a": "a1"})
	if n := configErrorLines(t, logs.String()); n != 3 {
		t.Fatalf("first load logged %d config errors, want 3:\n%s", n, logs.String())
	}
	write(t, dir, "a.yaml", vsDoc("a", "a2"))
	await(t, ch, map[string]string{"a": "a2"})
	write(t, dir, "c.yaml", strings.Replace(vsDoc("c", "c"), "hosts: [c]", "hosts: c", 1))
	write(t, dir, "a.yaml", vsDoc("a", "a3"))
	await(t, ch, map[string]string{"a": "a3"})
	if n := configErrorLines(t, logs.String()); n != 4 {
		t.Fatalf("after an unrelated edit and one new bad file: %d config errors logged, want 3+1:\n%s", n, logs.String())
	}
}

func configErrorLines(t *testing.T, out string) int {
	t.Helper()
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == "config error" {
			n++
		}
	}
	return n
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
