package translate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/mesh"
)

// TestGolden translates each feature fixture, testdata/<feature>/input.yaml,
// and compares the IR and its diagnostics with testdata/<feature>/ir.yaml.
// The pilot/xds/build goldens read these ir.yaml files back as their input.
func TestGolden(t *testing.T) {
	dirs := featureDirs(t)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m := TranslateWith(golden.Snapshot(t, filepath.Join(dir, "input.yaml")), "golden", goldenOptions(t, dir))
			got, err := mesh.MarshalYAML(m)
			if err != nil {
				t.Fatal(err)
			}
			golden.Compare(t, filepath.Join(dir, "ir.yaml"), got)
			assertRoundTrip(t, got)
		})
	}
}

// goldenOptions reads the feature's meshconfig.yaml, as weftd's
// --mesh-config, when there is one.
func goldenOptions(t *testing.T, dir string) Options {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "meshconfig.yaml"))
	if os.IsNotExist(err) {
		return Options{}
	}
	if err != nil {
		t.Fatal(err)
	}
	opts, err := OptionsFromMeshConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

// assertRoundTrip checks that the YAML form loses nothing the build
// goldens need: reading it back and writing it again gives the same text.
func assertRoundTrip(t *testing.T, text []byte) {
	t.Helper()
	back, err := mesh.UnmarshalYAML(text)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	again, err := mesh.MarshalYAML(back)
	if err != nil {
		t.Fatalf("write again: %v", err)
	}
	if string(again) != string(text) {
		t.Errorf("YAML form does not round-trip:\n%s", golden.FirstDiff(string(text), string(again)))
	}
}

// featureDirs lists testdata's feature directories; one without an
// input.yaml is an error rather than silently skipped.
func featureDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join("testdata", e.Name())
		if _, err := os.Stat(filepath.Join(dir, "input.yaml")); err != nil {
			t.Errorf("feature %s has no input.yaml: %v", e.Name(), err)
			continue
		}
		dirs = append(dirs, dir)
	}
	if len(dirs) == 0 {
		t.Fatal("no feature fixtures under testdata/*/input.yaml")
	}
	return dirs
}
