package analysis_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftmesh/weft/pilot/analysis"
	"github.com/weftmesh/weft/pilot/validation/webhook"
)

// FuzzValidate feeds arbitrary documents through everything weftctl and
// the webhook run on untrusted input: decode, validation, translation and
// every analyzer, and the webhook's single-object path. None may panic, and
// every message must render with a code and a known severity.
func FuzzValidate(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/analyze/*.yaml")
	corpus, _ := filepath.Glob("../validation/testdata/corpus/*.yaml")
	for _, p := range append(seeds, corpus...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, c := range strings.Split(string(data), "\n#### ") {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range analysis.Analyze([]analysis.Input{{Name: "fuzz.yaml", Data: data}}, analysis.Options{}) {
			checkMessage(t, m)
		}
		for _, m := range webhook.Check(data, "fuzz", "") {
			checkMessage(t, m)
		}
	})
}

func checkMessage(t *testing.T, m analysis.Message) {
	if m.Code == "" || m.Err == nil || m.Severity < analysis.Info || m.Severity > analysis.Error || m.String() == "" {
		t.Fatalf("malformed message %+v", m)
	}
}
