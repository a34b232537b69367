package analysis

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// expected reads the "# expect: CODE Kind ns/name field" lines of a fixture.
func expected(t *testing.T, data []byte) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "# expect: "); ok {
			out = append(out, strings.TrimSpace(rest))
		}
	}
	return out
}

// summary renders a message as the fixtures' expect lines do.
func summary(m Message) string {
	return strings.TrimSpace(m.Code + " " + m.Resource() + " " + m.Err.Field)
}

func readInputs(t *testing.T, paths ...string) []Input {
	t.Helper()
	ins, err := ReadInputs(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ins
}

func TestAnalyzeCleanMeshIsSilent(t *testing.T) {
	if msgs := Analyze(readInputs(t, "testdata/analyze/clean.yaml"), Options{}); len(msgs) != 0 {
		t.Fatalf("clean mesh: %v", msgs)
	}
}

// Each fixture adds one problem to the clean mesh; analyze must report
// exactly what its expect lines say, nothing more.
func TestAnalyzeFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/analyze/*.yaml")
	seen := map[string]bool{}
	for _, f := range files {
		if filepath.Base(f) == "clean.yaml" {
			continue
		}
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := expected(t, data)
			var got []string
			for _, m := range Analyze(readInputs(t, "testdata/analyze/clean.yaml", f), Options{}) {
				got = append(got, summary(m))
				seen[m.Code] = true
				if m.Err.File != f || m.Err.Line == 0 {
					t.Errorf("%s: position %s:%d, want in %s", summary(m), m.Err.File, m.Err.Line, f)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
	for _, c := range Codes {
		if !seen[c.Code] && !noFixture[c.Code] {
			t.Errorf("no fixture exercises %s (%s)", c.Code, c.Name)
		}
	}
}

func TestSuppression(t *testing.T) {
	ins := readInputs(t, "testdata/analyze/clean.yaml", "testdata/analyze/host-not-found.yaml")
	for _, tc := range []struct {
		spec string
		left int
	}{
		{"IST0101=VirtualService shop/ratings", 1},
		{"IST0101=VirtualService shop/*", 1},
		{"IST0101", 1},
		{"ist0101=*", 1},
		{"IST0101=VirtualService other/*", 2},
		{"WFT0113=*", 1},
		{"IST0174=*", 2},
		{"*=VirtualService shop/ratings", 0},
		// WFT0101 is retired: it stands for IST0101, IST0174 and WFT0113.
		{"WFT0101=VirtualService shop/ratings", 0},
		{"WFT0101=VirtualService shop/*", 0},
		{"WFT0101", 0},
		{"wft0101=*", 0},
		{"WFT0101=VirtualService other/*", 2},
		{"WFT0102=*", 1}, // now IST0101, which also covers the missing host
	} {
		sups, known, err := ParseSuppressions(tc.spec)
		if err != nil || !known {
			t.Fatalf("%s: known %v, %v", tc.spec, known, err)
		}
		if got := Analyze(ins, Options{Suppress: sups}); len(got) != tc.left {
			t.Errorf("-S %q left %d messages, want %d: %v", tc.spec, len(got), tc.left, got)
		}
	}
	if _, err := ParseSuppression("=x"); err == nil {
		t.Error("ParseSuppression(=x) succeeded")
	}
	if _, known, err := ParseSuppressions("IST0999=*"); err != nil || known {
		t.Errorf("IST0999: known %v, %v; want unknown", known, err)
	}
}

// A retired code stays out of the list (its number is never reused) and
// an old -S naming it still parses, standing for the codes that replaced it.
func TestRetiredCodes(t *testing.T) {
	listed := map[string]bool{}
	for _, c := range Codes {
		if listed[c.Code] {
			t.Errorf("%s listed twice", c.Code)
		}
		listed[c.Code] = true
	}
	for code, repl := range retiredCodes {
		if listed[code] {
			t.Errorf("retired code %s is listed", code)
		}
		for _, r := range repl {
			if !listed[r] {
				t.Errorf("retired %s maps to %s, which is not listed", code, r)
			}
		}
		sups, known, err := ParseSuppressions(code + "=Kind ns/*")
		if err != nil || !known || len(sups) != max(len(repl), 1) {
			t.Errorf("-S %s: %d suppressions, known %v, %v", code, len(sups), known, err)
		}
	}
	// Old fixtures' codes, one per analyzer, keep their meaning under -S.
	for old, fixture := range map[string]string{
		"WFT0002": "invalid.yaml", "WFT0103": "subset-no-pods.yaml", "WFT0104": "conflicting-vs.yaml",
		"WFT0105": "unreachable-rule.yaml", "WFT0108": "namespace-not-injected.yaml",
		"WFT0109": "pod-without-proxy.yaml", "WFT0110": "port-name.yaml", "WFT0111": "unknown-annotation.yaml",
	} {
		ins := readInputs(t, "testdata/analyze/clean.yaml", "testdata/analyze/"+fixture)
		sups, _, _ := ParseSuppressions(old)
		all := Analyze(ins, Options{})
		if got := Analyze(ins, Options{Suppress: sups}); len(got) != len(all)-1 {
			t.Errorf("-S %s on %s left %v", old, fixture, got)
		}
	}
}
