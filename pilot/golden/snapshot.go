package golden

import (
	"os"
	"testing"

	"github.com/weftmesh/weft/pilot/config"
)

// Snapshot decodes a multi-document YAML fixture into a config snapshot,
// failing t on any decoding or admission error: a fixture is meant valid.
func Snapshot(t testing.TB, path string) *config.Snapshot {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := config.Decode(path, data)
	for _, e := range errs {
		t.Fatalf("decode: %v", e)
	}
	b := config.NewBuilder()
	for _, o := range objs {
		if e := b.Add(o); e != nil {
			t.Fatalf("add: %v", e)
		}
	}
	return b.Finish()
}
