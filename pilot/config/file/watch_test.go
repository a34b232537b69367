package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftmesh/weft/pilot/config"
)

const waitFor = 5 * time.Second

// run starts src.Run and returns the channel its snapshots arrive on; the
// Run is stopped, and waited for, when the test ends.
func run(t *testing.T, src *Source) <-chan *config.Snapshot {
	t.Helper()
	ch := make(chan *config.Snapshot, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, func(s *config.Snapshot) { ch <- s }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(waitFor):
			t.Error("Run did not return after cancel")
		}
	})
	return ch
}

// await waits for a snapshot whose VirtualServices are exactly want.
func await(t *testing.T, ch <-chan *config.Snapshot, want map[string]string) *config.Snapshot {
	t.Helper()
	deadline := time.After(waitFor)
	var last map[string]string
	for {
		select {
		case s := <-ch:
			last = hosts(s)
			if fmt.Sprint(last) == fmt.Sprint(want) {
				return s
			}
		case <-deadline:
			t.Fatalf("timed out waiting for VirtualServices %v; last snapshot had %v", want, last)
		}
	}
}

func TestRunAppliesChangesAndKeepsLastGoodFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", vsDoc("a", "a1"))
	write(t, dir, "b.yaml", vsDoc("b", "b1"))
	ch := run(t, newSource(t, dir, nil))
	await(t, ch, map[string]string{"a": "a1", "b": "b1"})

	write(t, dir, "a.yaml", vsDoc("a", "a2"))
	await(t, ch, map[string]string{"a": "a2", "b": "b1"})

	// A bad edit to b keeps b's last good content; a's change still applies.
	write(t, dir, "b.yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: b\n")
	write(t, dir, "a.yaml", vsDoc("a", "a3"))
	await(t, ch, map[string]string{"a": "a3", "b": "b1"})

	// A resource failing validation keeps its last accepted version.
	write(t, dir, "b.yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: b}\n"+
		"spec:\n  hosts: [b2]\n  http:\n  - route: [{destination: {host: b2}}]\n    timeout: 5 sec\n")
	write(t, dir, "a.yaml", vsDoc("a", "a4"))
	await(t, ch, map[string]string{"a": "a4", "b": "b1"})

	write(t, dir, "b.yaml", vsDoc("b", "b3"))
	await(t, ch, map[string]string{"a": "a4", "b": "b3"})
}

func TestRunSeesNewDirectoriesRenamesAndRemovals(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", vsDoc("a", "a1"))
	ch := run(t, newSource(t, dir, nil))
	await(t, ch, map[string]string{"a": "a1"})

	write(t, dir, "sub/deeper/c.yaml", vsDoc("c", "c1"))
	await(t, ch, map[string]string{"a": "a1", "c": "c1"})

	write(t, dir, "sub/deeper/d.json", `{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "d"},
		"spec": {"hosts": ["d1"], "http": [{"route": [{"destination": {"host": "d1"}}]}]}}`)
	await(t, ch, map[string]string{"a": "a1", "c": "c1", "d": "d1"})

	// Editors that save by writing a temporary file and renaming it over.
	write(t, dir, ".a.yaml.tmp", vsDoc("a", "a2"))
	if err := os.Rename(filepath.Join(dir, ".a.yaml.tmp"), filepath.Join(dir, "a.yaml")); err != nil {
		t.Fatal(err)
	}
	await(t, ch, map[string]string{"a": "a2", "c": "c1", "d": "d1"})

	if err := os.RemoveAll(filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	await(t, ch, map[string]string{"a": "a2"})
}

func TestRunCallsBackOnlyOnChange(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", vsDoc("a", "a1"))
	src := New(Options{Dir: dir, Logger: newSource(t, dir, nil).log, Debounce: 20 * time.Millisecond})
	ch := run(t, src)
	await(t, ch, map[string]string{"a": "a1"})

	// Same content, a comment-only change and an ignored file: no callback.
	// Written by rename: a reload between an in-place write's truncate and
	// its write would see an empty file, which is a change.
	writeByRename(t, dir, "a.yaml", vsDoc("a", "a1"))
	writeByRename(t, dir, "a.yaml", "# comment\n"+vsDoc("a", "a1"))
	write(t, dir, "notes.txt", "x")
	select {
	case s := <-ch:
		t.Fatalf("unexpected callback with %v", hosts(s))
	case <-time.After(300 * time.Millisecond):
	}

	// A burst of writes is coalesced into few callbacks, the last one final.
	for i := range 20 {
		write(t, dir, "a.yaml", vsDoc("a", fmt.Sprintf("burst%d", i)))
	}
	await(t, ch, map[string]string{"a": "burst19"})
	// The next callback must be the next change's: a leftover burst
	// callback would arrive first (a clock could only guess when to look).
	write(t, dir, "b.yaml", vsDoc("b", "after"))
	select {
	case s := <-ch:
		if got, want := fmt.Sprint(hosts(s)), fmt.Sprint(map[string]string{"a": "burst19", "b": "after"}); got != want {
			t.Errorf("callback after the final state: %s, want the next change %s", got, want)
		}
	case <-time.After(waitFor):
		t.Fatalf("no callback for the change after the burst within %v", waitFor)
	}
}

func TestRunFailsWithoutDirectory(t *testing.T) {
	src := New(Options{Dir: filepath.Join(t.TempDir(), "missing")})
	err := src.Run(context.Background(), func(*config.Snapshot) { t.Error("unexpected callback") })
	if err == nil {
		t.Fatal("want an error for a missing directory")
	}
}

// writeByRename replaces a file atomically, as editors that save by
// renaming do.
func writeByRename(t *testing.T, dir, name, content string) {
	t.Helper()
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}
