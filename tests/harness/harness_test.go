package harness

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const fakeWeftdEnv = "WEFT_E2E_FAKE_WEFTD"

// fakeSyncz is a weftd /debug/syncz answer with one NACKed listener.
const fakeSyncz = `[{"id":"sidecar~127.0.0.2~a.default~default.svc.cluster.local","kind":"grpc",
 "namespace":"default","streams":1,"nacks":1,
 "lastNack":{"type":"type.googleapis.com/envoy.config.listener.v3.Listener","version":"3","error":"bad listener","time":"2026-01-01T00:00:00Z"},
 "types":{"type.googleapis.com/envoy.config.cluster.v3.Cluster":{"sent":"3","acked":"3","nacked":false},
  "type.googleapis.com/envoy.config.listener.v3.Listener":{"sent":"3","acked":"2","nacked":true}}}]`

// runFakeWeftd serves /debug/syncz on --debug-addr until SIGTERM; harness tests only.
func runFakeWeftd(args []string) int {
	fs := flag.NewFlagSet("fake-weftd", flag.ContinueOnError)
	debug := fs.String("debug-addr", "", "")
	fs.String("xds-addr", "", "")
	fs.String("config-dir", "", "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	lis, err := net.Listen("tcp", *debug)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake weftd:", err)
		return 1
	}
	http.HandleFunc("/debug/syncz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, fakeSyncz) })
	go http.Serve(lis, nil)
	fmt.Println("fake weftd ready on", *debug)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	select {
	case <-sig:
		fmt.Print("fake weftd stopping (no newline)")
		return 0
	case <-time.After(2 * time.Minute): // never outlive a test for long
		return 3
	}
}

func TestHarnessLifecycleWithFakeWeftd(t *testing.T) {
	w := StartWeftd(t, WeftdOptions{Binary: os.Args[0], Env: []string{fakeWeftdEnv + "=1"}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := w.CountNACKs(ctx)
	if err != nil || n != 1 {
		t.Fatalf("CountNACKs = %d, %v; want 1", n, err)
	}
	if err := w.WriteConfig("a.yaml", "kind: X\n"); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(w.ConfigDir)
	if len(entries) != 1 || entries[0].Name() != "a.yaml" {
		t.Fatalf("config dir holds %v; want only a.yaml", entries)
	}
	if err := w.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !strings.Contains(w.Logs(), "fake weftd ready") || !strings.Contains(w.Logs(), "(no newline)") {
		t.Fatalf("logs not captured: %q", w.Logs())
	}
}

func TestParseSyncz(t *testing.T) {
	s, err := ParseSyncz([]byte(fakeSyncz))
	if err != nil {
		t.Fatal(err)
	}
	if ids := s.ProxyIDs(); len(ids) != 1 || !strings.HasPrefix(ids[0], "sidecar~127.0.0.2") {
		t.Errorf("ids %v", ids)
	}
	if n := s.NACKs(); s.NACKCount() != 1 || len(n) != 1 || !strings.Contains(n[0], "bad listener") {
		t.Errorf("NACKCount %d, NACKs %q", s.NACKCount(), n)
	}
	if u := s.Unsynced(); len(u) != 1 || !strings.Contains(u[0], "Listener") {
		t.Errorf("Unsynced %q", u)
	}
	if InSync(s) || !HasProxies(1)(s) || HasProxies(2)(s) {
		t.Errorf("predicates wrong")
	}
	if _, err := ParseSyncz([]byte(`{"not":"a list"}`)); err == nil {
		t.Error("non-list accepted")
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFileAtomic(dir, "x.yaml", []byte("a: 1\n")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(dir, "../x.yaml", nil); err == nil {
		t.Fatal("path escaping the dir accepted")
	}
	data, err := os.ReadFile(filepath.Join(dir, "x.yaml"))
	entries, _ := os.ReadDir(dir)
	if err != nil || string(data) != "a: 1\n" || len(entries) != 1 {
		t.Fatalf("got %q, %v, %d entries", data, err, len(entries))
	}
}

func TestFreeCommonPort(t *testing.T) {
	p, err := FreeCommonPort("127.0.0.2", "127.0.0.3")
	if err != nil || p == 0 {
		t.Fatalf("FreeCommonPort = %d, %v", p, err)
	}
}
