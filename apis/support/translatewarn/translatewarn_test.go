// Package translatewarn checks the support table against the fields
// pilot/translate warns about; it is a package of its own so that the table's
// own tests do not depend on translate.
package translatewarn

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/weftmesh/weft/apis/support"
	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
)

// TestAgreesWithTranslateWarnings: every field translate reports as
// unsupported must not be rated Supported for sidecars, and the fixture
// must still make translate warn about each one it was written for.
func TestAgreesWithTranslateWarnings(t *testing.T) {
	warned := translateWarnings(t, "testdata/warned.yaml")
	var keys []string
	for _, d := range warned {
		key, ok := support.KeyFor(d.Ref.Kind, strings.TrimPrefix(d.Field, "spec."))
		if !ok {
			t.Errorf("%s %s: field %q is no path of the spec", d.Ref, d.Message, d.Field)
			continue
		}
		keys = append(keys, d.Ref.Kind+" "+key)
		if e, _ := support.Lookup(d.Ref.Kind, key); e.Sidecar == support.Supported && !istioIgnoresToo[d.Ref.Kind+" "+key] && !proxylessOnly(d, e) {
			t.Errorf("translate warns %s %s (%s) but the table rates %s supported for sidecars", d.Ref, d.Field, d.Message, key)
		}
	}
	for _, want := range []string{
		"VirtualService gateways[]", "VirtualService http[].match[].gateways[]",
		"DestinationRule trafficPolicy.tls.credentialName", "DestinationRule trafficPolicy.tls.caCertCredentialName", "DestinationRule trafficPolicy.tunnel", "DestinationRule trafficPolicy.proxyProtocol",
		"DestinationRule subsets[].trafficPolicy.tls.credentialName",
		"Sidecar ingress[]", "Sidecar egress[].port.protocol",
		"PeerAuthentication portLevelMtls{}",
	} {
		if !slices.Contains(keys, want) {
			t.Errorf("translate no longer warns about %s; update testdata/warned.yaml and the table", want)
		}
	}
}

// istioIgnoresToo: warnings about a use Istio ignores as well, so the
// field itself is supported.
var istioIgnoresToo = map[string]bool{
	"PeerAuthentication portLevelMtls{}": true, // without a selector
	// in a DestinationRule without a workloadSelector
	"DestinationRule trafficPolicy.tls.credentialName":           true,
	"DestinationRule subsets[].trafficPolicy.tls.credentialName": true,
	"DestinationRule trafficPolicy.tls.caCertCredentialName":     true,
}

// proxylessOnly: a warning about what proxyless clients do not apply,
// on a field the table rates short of supported for them.
func proxylessOnly(d mesh.Diagnostic, e support.Entry) bool {
	return strings.HasPrefix(d.Message, "proxyless gRPC:") && e.Proxyless != support.Supported
}

// translateWarnings decodes file and returns translate's unsupported-field diagnostics.
func translateWarnings(t *testing.T, file string) []mesh.Diagnostic {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := config.Decode(file, data)
	for _, e := range errs {
		t.Fatalf("decode: %v", e)
	}
	b := config.NewBuilder()
	for _, o := range objs {
		if err := b.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	var out []mesh.Diagnostic
	for _, d := range translate.Translate(b.Finish(), "test").Diagnostics {
		if d.Reason == mesh.ReasonUnsupportedField {
			out = append(out, d)
		}
	}
	return out
}
