package harness

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// recordingTB notes whether Missing failed or skipped, without doing either.
type recordingTB struct {
	testing.TB
	failed, skipped string
}

func (r *recordingTB) Helper() {}

// Fatalf and Skipf end the goroutine, as the real ones do.
func (r *recordingTB) Fatalf(format string, args ...any) { r.failed = format; runtime.Goexit() }
func (r *recordingTB) Skipf(format string, args ...any)  { r.skipped = format; runtime.Goexit() }

// missing runs Missing in a goroutine of its own, which it ends.
func missing(r *recordingTB, msg string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		Missing(r, "%s", msg)
	}()
	<-done
}

func TestMissingFailsUnderCIAndSkipsOtherwise(t *testing.T) {
	for ci, wantFail := range map[string]bool{"true": true, "1": true, "yes": true, "": false, "false": false, "FALSE": false} {
		t.Setenv("CI", ci)
		r := &recordingTB{TB: t}
		missing(r, "iptables-restore not installed")
		if failed := r.failed != ""; failed != wantFail || failed == (r.skipped != "") {
			t.Errorf("CI=%q: failed %q, skipped %q; want fail=%v", ci, r.failed, r.skipped, wantFail)
		}
		if msg := r.failed + r.skipped; !strings.Contains(msg, "CI") {
			t.Errorf("CI=%q: message %q does not say what CI changes", ci, msg)
		}
	}
}

func TestResolveTakesTheBinaryFromItsVariable(t *testing.T) {
	BinEnv["fake-cmd"] = "WEFT_FAKE_CMD_BIN"
	t.Cleanup(func() { delete(BinEnv, "fake-cmd") })
	t.Setenv("WEFT_FAKE_CMD_BIN", os.Args[0])
	if got, err := Resolve("fake-cmd"); err != nil || got != os.Args[0] {
		t.Errorf("Resolve = %q, %v; want the variable's %q", got, err, os.Args[0])
	}
	t.Setenv("WEFT_FAKE_CMD_BIN", "/nonexistent/weftd")
	if _, err := resolve("fake-cmd"); err == nil || !strings.Contains(err.Error(), "WEFT_FAKE_CMD_BIN") {
		t.Errorf("a variable naming no file: err = %v, want it named", err)
	}
}
