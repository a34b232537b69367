package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder keeps Compare's failures instead of failing this test.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(f string, args ...any) {
	r.failures = append(r.failures, "fatal: "+fmt.Sprintf(f, args...))
}
func (r *recorder) Errorf(f string, args ...any) {
	r.failures = append(r.failures, "error: "+fmt.Sprintf(f, args...))
}

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "out.yaml")
	for _, tt := range []struct {
		name     string
		update   bool
		ci       string
		existing string // "" means no file
		want     string // substring of the one failure, "" for none
		wantFile string
	}{
		{"missing fails", false, "", "", "fatal: golden", ""},
		{"missing fails under CI", false, "true", "", "fatal: golden", ""},
		{"update writes", true, "", "", "", "new\n"},
		{"update refused under CI", true, "true", "old\n", "fatal: " + path + ": -update is refused", "old\n"},
		{"CI=false is not CI", true, "false", "old\n", "", "new\n"},
		{"stale fails", false, "", "old\n", "error: " + path + " is stale", "old\n"},
		{"equal passes", false, "true", "new\n", "", "new\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			os.RemoveAll(filepath.Join(dir, "sub"))
			if tt.existing != "" {
				if err := write(path, []byte(tt.existing)); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("CI", tt.ci)
			*update = tt.update
			defer func() { *update = false }()
			r := &recorder{TB: t}
			Compare(r, path, []byte("new\n"))
			switch {
			case tt.want == "" && len(r.failures) > 0:
				t.Errorf("unexpected failures %q", r.failures)
			case tt.want != "" && (len(r.failures) != 1 || !strings.HasPrefix(r.failures[0], tt.want)):
				t.Errorf("failures %q, want one starting %q", r.failures, tt.want)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.wantFile {
				t.Errorf("file holds %q, want %q", got, tt.wantFile)
			}
		})
	}
}

func TestFirstDiff(t *testing.T) {
	if got := FirstDiff("a\nb\nc", "a\nx\nc"); !strings.Contains(got, "line 2") || !strings.Contains(got, "want: b") || !strings.Contains(got, "got:  x") {
		t.Errorf("FirstDiff = %q", got)
	}
	if got := FirstDiff("a", "a\nb"); !strings.Contains(got, "want 1 lines, got 2") {
		t.Errorf("FirstDiff lengths = %q", got)
	}
}
