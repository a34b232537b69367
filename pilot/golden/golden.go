// Package golden compares test output with checked-in golden files. Every
// golden test in pilot shares its -update flag, so one command regenerates
// a package's goldens: go test ./pilot/translate -update.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files instead of comparing")

// Updating reports whether -update was given.
func Updating() bool { return *update }

// inCI: CI must compare against reviewed goldens, never write new ones.
func inCI() bool { return os.Getenv("CI") != "" && os.Getenv("CI") != "false" }

// Compare fails t when path does not hold got. With -update it writes got
// instead, except under CI, where a golden written by the run itself would
// make a stale or missing file pass.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if inCI() {
			t.Fatalf("%s: -update is refused when CI is set: regenerate goldens locally and commit them", path)
			return
		}
		if err := write(path, got); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test %s -update, review and commit it)", path, err, pkgHint())
		return
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s is stale: run go test %s -update and review the diff\n%s", path, pkgHint(), FirstDiff(string(want), string(got)))
	}
}

func write(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("golden dir: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("golden: %w", err)
	}
	return nil
}

// pkgHint names the package under test for the regenerate hint: go test
// runs in the package directory.
func pkgHint() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	if i := strings.LastIndex(wd, "/pilot/"); i >= 0 {
		return "./" + wd[i+1:]
	}
	return "."
}

// FirstDiff describes the first line where want and got differ.
func FirstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) && i < len(g); i++ {
		if w[i] != g[i] {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, w[i], g[i])
		}
	}
	return fmt.Sprintf("lengths differ: want %d lines, got %d", len(w), len(g))
}
