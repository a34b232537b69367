package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode checks Decode never panics and that whatever it returns is
// well formed, on input seeded from the test documents.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{"", "---", "{}", "[]", "- a", "a: [", "kind: List\napiVersion: v1\nitems: [{}]",
		`{"apiVersion":"networking.istio.io/v1","kind":"VirtualServiceList","items":[{"metadata":{"name":"a"}}]}`,
		"apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: x}]}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, errs := Decode("fuzz.yaml", data)
		for _, o := range objs {
			if o.Key != KeyOf(o.Resource) || o.Key.Name == "" || o.Origin.Line < 1 {
				t.Fatalf("malformed object %+v", o)
			}
		}
		for _, e := range errs {
			if e.File != "fuzz.yaml" || e.Message == "" || e.Error() == "" {
				t.Fatalf("malformed error %#v", e)
			}
		}
	})
}
