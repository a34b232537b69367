package validation

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Inline keys are refused where Istio refuses them (checked against
// istioctl): a set or a sole key, of a known type with its members.
func TestValidateJWKS(t *testing.T) {
	for jwks, wantErr := range map[string]bool{
		`{"keys":[]}`: false,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}],"x":1}`: false,
		`{"kty":"oct","k":"c2VjcmV0"}`:                         false,
		`{}`:                                                   true,
		`not-a-key-set`:                                        true,
		`{"keys":[{"kty":"RSA"}]}`:                             true,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"AQAB"}]}`: true,
		`{"keys":[{"kty":"XYZ"}]}`:                         true,
		`{"kty":"RSA","n":"AQAB","e":"AQAB","keys":"x"}`:   true,
	} {
		if errs := validateJWKS(field.NewPath("jwks"), jwks); (len(errs) > 0) != wantErr {
			t.Errorf("%s: errors %v, want error %v", jwks, errs, wantErr)
		}
	}
}
