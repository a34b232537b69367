package injector

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.injected.yaml")

// testSettings are fixed so goldens do not depend on defaults changing.
func testSettings(native bool) Settings {
	s := DefaultSettings()
	s.AgentImage = "ghcr.io/weftmesh/weft-agent:test"
	s.ProxyImage = "envoyproxy/envoy:v1.36.0"
	s.CAAddr = "weftd.weft-system.svc:15012"
	s.XDSAddr = "weftd.weft-system.svc:15012"
	s.NativeSidecars = native
	return s
}

type golden struct {
	name, in, out string
	settings      Settings
}

func goldens(t testing.TB) []golden {
	ins, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var g []golden
	for _, in := range ins {
		if strings.HasSuffix(in, ".injected.yaml") {
			continue
		}
		base := strings.TrimSuffix(filepath.Base(in), ".yaml")
		g = append(g, golden{name: base, in: in, out: strings.TrimSuffix(in, ".yaml") + ".injected.yaml",
			settings: testSettings(strings.HasPrefix(base, "native-"))})
	}
	if len(g) == 0 {
		t.Fatal("no testdata")
	}
	return g
}

// TestGoldenKubeInject is what `weftctl kube-inject` prints; -update
// rewrites the goldens and a stale golden fails.
func TestGoldenKubeInject(t *testing.T) {
	for _, g := range goldens(t) {
		t.Run(g.name, func(t *testing.T) {
			in, err := os.ReadFile(g.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := InjectYAML(in, g.settings)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(g.out, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(g.out)
			if err != nil {
				t.Fatalf("%v (run go test ./injector -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale; run go test ./injector -update and review the diff\n%s", g.out, lineDiff(string(want), string(got)))
			}
		})
	}
}

// TestGoldenIdempotent: injecting the injected output changes nothing.
func TestGoldenIdempotent(t *testing.T) {
	for _, g := range goldens(t) {
		t.Run(g.name, func(t *testing.T) {
			want, err := os.ReadFile(g.out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := InjectYAML(want, g.settings)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("re-injecting %s changed it:\n%s", g.out, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff shows the first differing lines, enough to spot the change.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n- " + wl + "\n+ " + gl
		}
	}
	return "(no line differs)"
}
