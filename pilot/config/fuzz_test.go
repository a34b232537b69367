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
		"apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: x}]}\n",
		drHead + "  trafficPolicy:\n    loadBalancer: {simple: RANDOM, consistentHash: {httpHeaderName: x}}\n    tls: {mode: 3}\n",
		"apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: e}\nspec: {configPatches: [{patch: {value: {a: [1, {b: null}]}}}]}\n",
		"a: &x {b: [*x]}\n", "base: &b {host: a}\nspec:\n  <<: *b\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicaz: 1}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, errs := Decode("fuzz.yaml", data)
		for _, o := range objs {
			k := KeyOf(o.Resource)
			if o.Foreign() { // scope unknown: the key defaults the namespace, the object does not
				k.Namespace = o.Key.Namespace
			}
			if o.Key != k || o.Key.Name == "" || o.Origin.Line < 1 {
				t.Fatalf("malformed object %+v", o)
			}
		}
		for _, e := range errs {
			if e.File != "fuzz.yaml" || e.Message == "" || e.Error() == "" {
				t.Fatalf("malformed error %#v", e)
			}
		}
		// Serving reads at least what validation accepts; what it drops are unknown fields only.
		served, _, dropped := DecodeServing("fuzz.yaml", data)
		if len(served) < len(objs) || !onlyUnknownFields(dropped) {
			t.Fatalf("DecodeServing: %d objects (Decode %d), dropped %v", len(served), len(objs), dropped)
		}
	})
}
