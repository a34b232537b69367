package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// run executes weftctl with args and stdin, returning stdout and the exit code.
func run(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	out, _, code := runBoth(t, stdin, args...)
	return out, code
}

// runBoth is run, also returning stderr.
func runBoth(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := rootCommand()
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return out.String(), errOut.String(), 0
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		t.Fatalf("weftctl %v: %v (no exit code)", args, err)
	}
	return out.String(), errOut.String(), ee.code
}

// badVS is invalid in Istio too ("weight -10 < 0").
const badVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews}, weight: 110}
    - {destination: {host: ratings}, weight: -10}
`

// validate prints istioctl validate's shape on stderr and exits as it does:
// 0 without errors (warnings included), 1 with errors or on usage errors.
func TestValidateExitCodes(t *testing.T) {
	out, errOut, code := runBoth(t, "", "validate", "-f", "../../samples/config")
	want := "\"../../samples/config/reviews-routing.yaml\" is valid\n\"../../samples/config/reviews.yaml\" is valid\n"
	if code != 0 || out != "" || errOut != want {
		t.Errorf("samples: exit %d, stdout %q, stderr\n%s\nwant\n%s", code, out, errOut, want)
	}
	_, errOut, code = runBoth(t, badVS, "validate", "-f", "-")
	want = "Error: 1 error(s) occurred:\n\t* Error [IST0106] <stdin>:9:38 (document 1): VirtualService shop/reviews: spec.http[0].route[1].weight: weight must not be negative, got -10\n"
	if code != 1 || errOut != want {
		t.Errorf("bad VirtualService: exit %d, stderr\n%s\nwant\n%s", code, errOut, want)
	}
	// Weights are relative shares, as in Istio: 60+30 is valid.
	split := strings.NewReplacer("weight: 110", "weight: 60", "weight: -10", "weight: 30").Replace(badVS)
	if _, errOut, code := runBoth(t, split, "validate", "-f", "-"); code != 0 || errOut != "\"<stdin>\" is valid\n" {
		t.Errorf("weights summing to 90: exit %d, stderr %q", code, errOut)
	}
	ef := "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ef, namespace: shop}\nspec: {}\n"
	_, errOut, code = runBoth(t, ef, "validate", "-f", "-")
	if code != 0 || !strings.HasPrefix(errOut, "\"<stdin>\" has warnings:\n\t* Warning [WFT0115] <stdin>:1 (document 1): EnvoyFilter shop/ef: EnvoyFilter is not supported by weft") {
		t.Errorf("EnvoyFilter: exit %d, stderr %q", code, errOut)
	}
	if _, code := run(t, "", "validate"); code != 1 {
		t.Errorf("no -f: exit %d, want 1", code)
	}
	if _, code := run(t, "", "validate", "-f", "does-not-exist.yaml"); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
}

func TestValidateStructuredOutput(t *testing.T) {
	for _, format := range []string{"json", "yaml"} {
		out, code := run(t, badVS, "validate", "-f", "-", "-o", format)
		var recs []map[string]any
		if err := yaml.Unmarshal([]byte(out), &recs); err != nil || code != 1 || len(recs) != 1 {
			t.Fatalf("-o %s: exit %d, %v, output %s", format, code, err, out)
		}
		if recs[0]["field"] != "spec.http[0].route[1].weight" || recs[0]["code"] != "IST0106" || recs[0]["severity"] != "Error" {
			t.Errorf("-o %s: record %v", format, recs[0])
		}
	}
	out, _ := run(t, badVS, "validate", "-f", "-", "-o", "json")
	if !json.Valid([]byte(out)) {
		t.Errorf("-o json is not JSON: %s", out)
	}
}

func TestAnalyzeFlags(t *testing.T) {
	dir := "../../pilot/analysis/testdata/analyze/"
	if out, code := run(t, "", "analyze", "-f", dir+"clean.yaml"); code != 0 || out != "" {
		t.Errorf("clean: exit %d, output %q", code, out)
	}
	// IST0130 is a Warning: below the default threshold, at --failure-threshold Warning.
	args := []string{"analyze", "-f", dir + "clean.yaml", "-f", dir + "unreachable-rule.yaml"}
	if out, code := run(t, "", args...); code != 0 || !strings.Contains(out, "Warning [IST0130]") {
		t.Errorf("warning below threshold: exit %d, output %q", code, out)
	}
	if _, code := run(t, "", append(args, "--failure-threshold", "warning")...); code != 1 {
		t.Errorf("--failure-threshold warning: exit %d, want 1", code)
	}
	for _, code := range []string{"IST0130", "WFT0105"} { // WFT0105 is retired: it stands for IST0130
		if out, exit := run(t, "", append(args, "--failure-threshold", "info", "-S", code+"=VirtualService shop/payments")...); exit != 0 || out != "" {
			t.Errorf("-S %s: exit %d, output %q", code, exit, out)
		}
	}
	// --output-threshold hides messages but, as in istioctl, not from the exit status.
	if out, code := run(t, "", append(args, "--output-threshold", "error", "--failure-threshold", "warning")...); code != 1 || out != "" {
		t.Errorf("--output-threshold error: exit %d, output %q", code, out)
	}
	if out, code := run(t, "", append(args, "-o", "log")...); code != 0 || !strings.Contains(out, "Warning [IST0130]") {
		t.Errorf("-o log: exit %d, output %q", code, out)
	}
	if out, code := run(t, "", "analyze", "-L"); code != 0 || !strings.Contains(out, "WFT0107") || !strings.Contains(out, "IST0101") ||
		strings.Contains(out, "WFT0106") || strings.Contains(out, "WFT0105") {
		t.Errorf("--list-analyzers: exit %d, output %q", code, out)
	}
}

// An -S code weft never had suppresses nothing and says so on stderr.
func TestAnalyzeUnknownSuppressionCode(t *testing.T) {
	var out, errOut bytes.Buffer
	root := rootCommand()
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs([]string{"analyze", "-f", "../../pilot/analysis/testdata/analyze/clean.yaml", "-S", "IST9999=*"})
	if err := root.Execute(); err != nil || !strings.Contains(errOut.String(), "unknown code IST9999") {
		t.Errorf("err %v, stderr %q", err, errOut.String())
	}
}
