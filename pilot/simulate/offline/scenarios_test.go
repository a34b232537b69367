package offline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weftmesh/weft/pilot/simulate"
)

// goldenInputs are the inputs of every Envoy golden scenario, with the
// scenario file that says what their output does with requests.
func goldenInputs(t *testing.T) map[string]string {
	out := map[string]string{}
	features, _ := filepath.Glob("../../translate/testdata/*/input.yaml")
	for _, in := range features {
		out[in] = filepath.Join(filepath.Dir(in), "simulate.yaml")
	}
	pipeline, _ := filepath.Glob("../../pipeline/testdata/*.in.yaml")
	for _, in := range pipeline {
		out[in] = strings.TrimSuffix(in, ".in.yaml") + ".simulate.yaml"
	}
	if len(features) < 10 || len(pipeline) < 5 {
		t.Fatalf("found %d feature and %d pipeline goldens: the layout changed", len(features), len(pipeline))
	}
	return out
}

// Every golden scenario has simulated requests beside its golden bytes, and
// each request does what the scenario says: the behaviour, not only the
// bytes, is under test.
func TestGoldenScenarios(t *testing.T) {
	for in, scenario := range goldenInputs(t) {
		name := strings.TrimPrefix(scenario, "../../")
		t.Run(name, func(t *testing.T) {
			s, err := LoadScenario(scenario)
			if err != nil {
				t.Fatalf("every golden scenario needs simulated requests: %v", err)
			}
			if len(s.Cases) == 0 {
				t.Fatal("no cases")
			}
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range s.Cases {
				runCase(t, s, c, []Input{{Name: in, Data: data}})
			}
		})
	}
}

func runCase(t *testing.T, s *Scenario, c Case, inputs []Input) {
	t.Helper()
	opts := Options{NodeID: s.Proxy, Labels: s.Labels, Proxyless: s.Proxyless, Locality: s.Locality, Translate: s.Translate}
	if c.Proxy != "" {
		opts.NodeID, opts.Labels = c.Proxy, c.Labels
	}
	if c.Locality != "" {
		opts.Locality = c.Locality
	}
	if c.Proxyless != nil {
		opts.Proxyless = *c.Proxyless
	}
	req, err := c.Spec(opts.Proxyless).Request()
	if err != nil {
		t.Errorf("%s: request: %v", c.Name, err)
		return
	}
	if req.Target != "" {
		opts.Targets = []string{req.Target}
	}
	cfg, _, err := Build(inputs, opts)
	if err != nil {
		t.Errorf("%s: %v", c.Name, err)
		return
	}
	// As weftctl simulate does: inbound requests go to the proxy's own IP,
	// which ORIGINAL_DST inbound clusters connect to.
	req.ResolveDestination(simulate.NodeIP(opts.NodeID), Addresses(inputs))
	res, err := simulate.Simulate(cfg, req)
	for _, d := range c.Want.Check(res, err) {
		t.Errorf("%s: %s", c.Name, d)
	}
}
