package validation

import (
	"os"
	"path/filepath"
	"testing"
)

// Each case's verdict was checked with istioctl validate (Istio's rules
// are the reference); field is where weft reports the one error, or ""
// when istioctl accepts the object.
func TestRulesIstioEnforces(t *testing.T) {
	cases, _ := filepath.Glob("testdata/istio-rules/*.yaml")
	want := map[string]string{
		"dr-locality-overlap.yaml":    "spec.trafficPolicy.loadBalancer.localityLbSetting.distribute[0].to[us/z1/*]",
		"dr-tcp-idle-zero.yaml":       "",
		"se-three-hosts-tcp.yaml":     "spec.hosts[1]",
		"se-dns-wildcard.yaml":        "spec.hosts[0]",
		"se-unix-two-ports.yaml":      "spec.endpoints[0].address",
		"wasm-url-no-scheme.yaml":     "",
		"ef-subfilter-not-hcm.yaml":   "spec.configPatches[0].match.listener.filterChain.filter.name",
		"telemetry-remove-value.yaml": "spec.metrics[0].overrides[0].tagOverrides[tenant].value",
	}
	if len(cases) != len(want) {
		t.Fatalf("got %d case files, want %d", len(cases), len(want))
	}
	for _, path := range cases {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		field, ok := want[filepath.Base(path)]
		if !ok {
			t.Errorf("%s: no expectation", path)
			continue
		}
		errs := ValidateSnapshot(snapshotOf(t, path, string(data)))
		switch {
		case field == "" && len(errs) > 0:
			t.Errorf("%s: istioctl accepts it, weft says %v", path, errs)
		case field != "" && (len(errs) != 1 || errs[0].Field != field):
			t.Errorf("%s: want one error at %s, got %v", path, field, errs)
		}
	}
}
