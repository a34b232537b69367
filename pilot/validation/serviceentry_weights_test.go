package validation

import (
	"strings"
	"testing"
)

// Envoy and grpc-go reject a locality whose endpoint weights sum above
// 2^32-1; weft sends a ServiceEntry's endpoints in one locality.
func TestEndpointWeightSum(t *testing.T) {
	se := func(eps string) string {
		return "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: ext, namespace: default}\n" +
			"spec: {hosts: [ext.example.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [" + eps + "]}\n"
	}
	tests := []struct {
		name, eps string
		wantErr   bool
	}{
		{"one endpoint at the maximum", "{address: 1.2.3.4, weight: 4294967295}", false},
		{"sum at the maximum", "{address: 1.2.3.4, weight: 4294967294}, {address: 1.2.3.5}", false},
		{"sum one above (unset counts as 1)", "{address: 1.2.3.4, weight: 4294967295}, {address: 1.2.3.5}", true},
		{"two large weights", "{address: 1.2.3.4, weight: 3000000000}, {address: 1.2.3.5, weight: 3000000000}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateSnapshot(snapshotOf(t, "se.yaml", se(tt.eps)))
			got := false
			for _, e := range errs {
				got = got || (e.Field == "spec.endpoints" && strings.Contains(e.Message, "4294967295"))
			}
			if got != tt.wantErr || (!tt.wantErr && len(errs) != 0) {
				t.Fatalf("errors %v, want the weight-sum error: %v", errs, tt.wantErr)
			}
		})
	}
}
