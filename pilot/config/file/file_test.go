package file

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/weftmesh/weft/pilot/config"
)

// syncBuffer is a log sink safe to read while a Source writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newSource(t *testing.T, dir string, logs io.Writer) *Source {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	return New(Options{Dir: dir, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func vsDoc(name, host string) string {
	return "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: " + name + "}\nspec:\n  hosts: [" + host + "]\n  http: [{route: [{destination: {host: " + host + "}}]}]\n"
}

func seDoc(name, host string) string {
	return "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: " + name + "}\nspec: {hosts: [" + host + "], ports: [{number: 443, name: https}]}\n"
}

// hosts returns name -> first host of every VirtualService, which is what
// the tests edit to tell versions apart.
func hosts(s *config.Snapshot) map[string]string {
	out := map[string]string{}
	for _, vs := range s.VirtualServices {
		out[vs.Name] = vs.Spec.Hosts[0]
	}
	return out
}

func assertHosts(t *testing.T, s *config.Snapshot, want map[string]string) {
	t.Helper()
	got := hosts(s)
	if len(got) != len(want) {
		t.Fatalf("VirtualServices = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("VirtualServices = %v, want %v", got, want)
		}
	}
}

func TestLoadReadsTreeSortedAndSkipsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "b.yaml", vsDoc("b", "b1"))
	write(t, dir, "sub/deeper/c.yml", vsDoc("c", "c1"))
	write(t, dir, "a.json", `{"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": {"name": "ext"}, "spec": {"hosts": ["ext.example.com"]}}`)
	write(t, dir, "notes.txt", "not config")
	write(t, dir, ".b.yaml.swp", "garbage: [")
	write(t, dir, "..2024_01_01/b.yaml", vsDoc("b", "hidden-copy"))

	snap, errs := newSource(t, dir, nil).Load()
	if len(errs) != 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	assertHosts(t, snap, map[string]string{"b": "b1", "c": "c1"})
	if len(snap.ServiceEntries) != 1 {
		t.Errorf("ServiceEntries = %d, want 1", len(snap.ServiceEntries))
	}
	if o := snap.Origins[config.Key{Kind: "VirtualService", Namespace: "default", Name: "c"}]; o.File != filepath.Join(dir, "sub/deeper/c.yml") || o.Line != 1 {
		t.Errorf("origin = %+v", o)
	}
}

func TestLoadDuplicateFirstFileWins(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", vsDoc("r", "first"))
	write(t, dir, "b.yaml", "# second definition\n---\n"+vsDoc("r", "second"))
	snap, errs := newSource(t, dir, nil).Load()
	assertHosts(t, snap, map[string]string{"r": "first"})
	if len(errs) != 1 {
		t.Fatalf("want 1 duplicate error, got %v", errs)
	}
	e := errs[0]
	if e.File != filepath.Join(dir, "b.yaml") || e.Doc != 0 || e.Line != 3 || e.Key() != (config.Key{Kind: "VirtualService", Namespace: "default", Name: "r"}) ||
		!strings.Contains(e.Message, "already defined in "+filepath.Join(dir, "a.yaml")) {
		t.Errorf("wrong duplicate error %#v", e)
	}
}

func TestBadFileKeepsLastGoodContent(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", vsDoc("a", "a1")+"---\n"+vsDoc("a2", "a2"))
	write(t, dir, "b.yaml", vsDoc("b", "b1"))
	src := newSource(t, dir, nil)
	if _, errs := src.Load(); len(errs) != 0 {
		t.Fatal(errs)
	}

	// a.yaml breaks (its second document is malformed, its first changed):
	// all of a.yaml's last good content stays; b.yaml's change applies.
	write(t, dir, "a.yaml", vsDoc("a", "a-new")+"---\nkind: VirtualService\nmetadata:\n  name: a2\n bad: indent\n")
	write(t, dir, "b.yaml", vsDoc("b", "b2"))
	snap, errs := src.Load()
	assertHosts(t, snap, map[string]string{"a": "a1", "a2": "a2", "b": "b2"})
	if len(errs) != 1 || errs[0].File != filepath.Join(dir, "a.yaml") || errs[0].Doc != 1 || errs[0].Line != 10 ||
		!strings.HasPrefix(errs[0].Message, "malformed YAML") {
		t.Fatalf("want one malformed YAML error in a.yaml document 1, got %#v", errs)
	}

	write(t, dir, "a.yaml", vsDoc("a", "a3"))
	snap, errs = src.Load()
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	assertHosts(t, snap, map[string]string{"a": "a3", "b": "b2"})
}

func TestInvalidResourceKeepsLastAcceptedVersion(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", vsDoc("a", "a1")+"---\n"+seDoc("ext", "ext.example.com"))
	src := newSource(t, dir, nil)
	if _, errs := src.Load(); len(errs) != 0 {
		t.Fatal(errs)
	}
	// The VirtualService gets a bad (negative) weight, the ServiceEntry a valid
	// change, and a new resource with an error is added: only the valid
	// change goes live.
	bad := strings.Replace(vsDoc("a", "a2"), "http: [{route: [{destination: {host: a2}}]}]",
		"http: [{route: [{destination: {host: x1}, weight: 110}, {destination: {host: y1}, weight: -10}]}]", 1)
	write(t, dir, "a.yaml", bad+"---\n"+seDoc("ext", "ext2.example.com")+"---\n"+"apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: new}\nspec: {hosts: [\"*.example.com\"], resolution: DNS}\n")
	snap, errs := src.Load()
	assertHosts(t, snap, map[string]string{"a": "a1"})
	if len(snap.ServiceEntries) != 1 || snap.ServiceEntries[0].Spec.Hosts[0] != "ext2.example.com" {
		t.Errorf("ServiceEntries = %v, want only ext with its new host", snap.ServiceEntries)
	}
	if len(errs) != 2 || errs[0].Field != "spec.http[0].route[1].weight" || errs[1].Name != "new" {
		t.Fatalf("want the weight and the wildcard DNS errors, got %v", errs)
	}
}

// Every error is logged with its position, resource and field path as
// separate attributes.
func TestErrorsAreLogged(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", vsDoc("ok", "ok")+"---\n"+strings.Replace(vsDoc("r", "r"), "  http:", "  tcp: []\n  http:", 1)+
		"---\napiVersion: networking.istio.io/v1\nkind: Gatway\nmetadata: {name: g}\n")
	var logs syncBuffer
	newSource(t, dir, &logs).Load()
	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["msg"] == "config error" {
			records = append(records, rec)
		}
	}
	if len(records) != 1 {
		t.Fatalf("want 1 logged error, got %v", logs.String())
	}
	want := map[string]any{"file": filepath.Join(dir, "a.yaml"), "doc": 2.0, "line": 17.0, "column": 1.0, "kind": "Gatway", "name": "g", "field": "kind"}
	for k, v := range want {
		if records[0][k] != v {
			t.Errorf("log attribute %s = %v, want %v", k, records[0][k], v)
		}
	}
}

// A Kubernetes kind weft does not read and an Istio kind weft does not
// implement are both said out loud, once, and neither is an error.
func TestUnusedKindsAreReported(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", vsDoc("ok", "ok")+"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"+
		"---\napiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ef}\nspec: {}\n")
	var logs syncBuffer
	snap, errs := newSource(t, dir, &logs).Load()
	if len(errs) != 0 || len(snap.EnvoyFilters) != 1 {
		t.Fatalf("errors %v, %d EnvoyFilters; want none and 1", errs, len(snap.EnvoyFilters))
	}
	out := logs.String()
	for _, want := range []string{`"msg":"resource kind not read by weft; ignored"`, `"kind":"Deployment"`,
		`"msg":"EnvoyFilter is not supported by weft`, `"level":"WARN"`} {
		if strings.Count(out, want) != 1 {
			t.Errorf("log should hold %s once:\n%s", want, out)
		}
	}
}

// A field Istio's schema does not have is dropped with a warning naming
// it, as istiod drops it, and the rest of the resource is served; a wrong
// type still keeps the resource out.
func TestUnknownFieldIsDroppedAsIstiodDoes(t *testing.T) {
	dir := t.TempDir()
	typo := strings.Replace(vsDoc("a", "a1"), "http: [{route: [{destination: {host: a1}}]}]",
		"http: [{route: [{destination: {host: a1}, wieght: 5}]}]", 1)
	write(t, dir, "a.yaml", typo+"---\n"+strings.Replace(vsDoc("b", "b1"), "hosts: [b1]", "hosts: b1", 1))
	var logs syncBuffer
	snap, errs := newSource(t, dir, &logs).Load()
	assertHosts(t, snap, map[string]string{"a": "a1"})
	if len(errs) != 1 || errs[0].Name != "b" {
		t.Errorf("errors %v, want only b's wrong type", errs)
	}
	if !strings.Contains(logs.String(), `"msg":"unknown field ignored, as istiod ignores it`) ||
		!strings.Contains(logs.String(), `"field":"spec.http[0].route[0].wieght"`) {
		t.Errorf("the dropped field is not logged:\n%s", logs.String())
	}
}

// A Deployment that does not match its schema is logged, not an error: it
// is not weft's, and must not keep the VirtualService next to it in the
// same file from being read.
func TestBrokenForeignObjectDoesNotBlockItsFile(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.yaml", vsDoc("r", "old"))
	var logs syncBuffer
	src := newSource(t, dir, &logs)
	if _, errs := src.Load(); len(errs) != 0 {
		t.Fatalf("errors %v, want none", errs)
	}
	write(t, dir, "a.yaml", vsDoc("r", "new")+"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replica: 2}\n")
	snap, errs := src.Load()
	if got := hosts(snap)["r"]; len(errs) != 0 || got != "new" {
		t.Errorf("errors %v, host %q; want none and the new host", errs, got)
	}
	out := logs.String()
	for _, want := range []string{`"msg":"invalid resource of a kind weft does not read; ignored"`, `"field":"spec.replica"`, `"level":"WARN"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log should hold %s:\n%s", want, out)
		}
	}
}
