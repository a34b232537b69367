package bootstrap

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// --mesh-config gives translation Istio's exportTo defaults; a file that
// cannot be read or parsed fails the start rather than being ignored.
func TestMeshConfigSetsTranslateOptions(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mesh")
	if err := os.WriteFile(good, []byte("defaultVirtualServiceExportTo: [\".\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("defaultVirtualServiceExportTo: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Config{ConfigDir: dir, MeshConfig: good}
	opts, err := c.options()
	if err != nil || !slices.Equal(opts.Translate.DefaultVirtualServiceExportTo, []string{"."}) {
		t.Fatalf("options %+v, %v", opts.Translate, err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing")} {
		c.MeshConfig = path
		if _, err := c.options(); err == nil || !strings.Contains(err.Error(), "mesh config") {
			t.Errorf("%s: error %v, want a mesh config error", filepath.Base(path), err)
		}
	}
}
