package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenArgs are the settings of injector's goldens (testSettings there).
var goldenArgs = []string{"--agent-image", "ghcr.io/weftmesh/weft-agent:test", "--proxy-image", "envoyproxy/envoy:v1.36.0",
	"--ca-addr", "weftd.weft-system.svc:15012", "--xds-addr", "weftd.weft-system.svc:15012"}

// TestKubeInjectGoldens runs the command on injector's golden inputs (file
// and stdin) and expects exactly the golden outputs the webhook test uses.
func TestKubeInjectGoldens(t *testing.T) {
	ins, _ := filepath.Glob("../../injector/testdata/*.yaml")
	n := 0
	for _, in := range ins {
		if strings.HasSuffix(in, ".injected.yaml") {
			continue
		}
		n++
		want, err := os.ReadFile(strings.TrimSuffix(in, ".yaml") + ".injected.yaml")
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"kube-inject"}, goldenArgs...)
		if strings.HasPrefix(filepath.Base(in), "native-") {
			args = append(args, "--native-sidecars")
		}
		data, _ := os.ReadFile(in)
		for _, src := range []string{in, "-"} {
			got, err := runWeftctl(t, data, append(args, "-f", src)...)
			if err != nil {
				t.Fatalf("%s: %v", in, err)
			}
			if got != string(want) {
				t.Errorf("%s (-f %s): output differs from the golden", in, src)
			}
		}
	}
	if n == 0 {
		t.Fatal("no golden inputs found")
	}
}

func TestKubeInjectInvalidAnnotation(t *testing.T) {
	in := "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n" +
		"  annotations: {sidecar.istio.io/logLevel: loud}\nspec:\n  containers: [{name: a, image: x}]\n"
	_, err := runWeftctl(t, []byte(in), "kube-inject", "-f", "-")
	if err == nil || !strings.Contains(err.Error(), `document 2`) || !strings.Contains(err.Error(), `sidecar.istio.io/logLevel="loud"`) {
		t.Fatalf("want error naming document and annotation, got %v", err)
	}
}

func runWeftctl(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := rootCommand()
	root.SetIn(bytes.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}
