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
		if !seen[c.Code] {
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
		{"WFT0101=VirtualService shop/ratings", 0},
		{"WFT0101=VirtualService shop/*", 0},
		{"WFT0101", 0},
		{"wft0101=*", 0},
		{"WFT0101=VirtualService other/*", 2},
		{"WFT0102=*", 2},
	} {
		sup, err := ParseSuppression(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := Analyze(ins, Options{Suppress: []Suppression{sup}}); len(got) != tc.left {
			t.Errorf("-S %q left %d messages, want %d: %v", tc.spec, len(got), tc.left, got)
		}
	}
	if _, err := ParseSuppression("=x"); err == nil {
		t.Error("ParseSuppression(=x) succeeded")
	}
}

// A retired code stays out of the list (its number is never reused) and
// an old -S naming it still parses.
func TestRetiredCodes(t *testing.T) {
	for _, code := range []string{"WFT0106"} {
		for _, c := range Codes {
			if c.Code == code {
				t.Errorf("retired code %s is listed as %s", code, c.Name)
			}
		}
		if _, err := ParseSuppression(code); err != nil {
			t.Errorf("-S %s: %v", code, err)
		}
	}
}
