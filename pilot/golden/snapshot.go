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
	return SnapshotOf(t, path, data)
}

// SnapshotOf is Snapshot for YAML held in the test itself; like Snapshot it
// does not validate, so a test can hand later stages what validation would
// refuse.
func SnapshotOf(t testing.TB, name string, data []byte) *config.Snapshot {
	t.Helper()
	objs, errs := config.Decode(name, data)
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
