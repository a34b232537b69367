package validation

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"time"

	security "istio.io/api/security/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateRequestAuthentication checks one RequestAuthentication.
func ValidateRequestAuthentication(ra *securityv1.RequestAuthentication) field.ErrorList {
	spec, p := &ra.Spec, field.NewPath("spec")
	errs := validatePolicyTargets(p, spec.GetSelector(), spec.GetTargetRef(), spec.GetTargetRefs())
	for i, r := range spec.GetJwtRules() {
		errs = append(errs, validateJWTRule(p.Child("jwtRules").Index(i), r)...)
	}
	return errs
}

func validateJWTRule(p *field.Path, r *security.JWTRule) field.ErrorList {
	var errs field.ErrorList
	// Without an issuer the token's iss is not checked, which is allowed
	// only when the keys come from a known place.
	if r.GetIssuer() == "" && r.GetJwksUri() == "" {
		errs = append(errs, field.Required(p.Child("issuer"), "issuer or jwksUri is required"))
	}
	errs = append(errs, validateJWKSURI(p.Child("jwksUri"), r.GetJwksUri())...)
	errs = append(errs, validateJWKS(p.Child("jwks"), r.GetJwks())...)
	errs = append(errs, forEachValue(p.Child("audiences"), r.GetAudiences(), validateNonEmpty)...)
	for i, h := range r.GetFromHeaders() {
		if h.GetName() == "" {
			errs = append(errs, field.Required(p.Child("fromHeaders").Index(i).Child("name"), "header name is required"))
		}
	}
	errs = append(errs, forEachValue(p.Child("fromParams"), r.GetFromParams(), validateNonEmpty)...)
	errs = append(errs, forEachValue(p.Child("fromCookies"), r.GetFromCookies(), validateNonEmpty)...)
	for i, c := range r.GetOutputClaimToHeaders() {
		errs = append(errs, validateClaimToHeader(p.Child("outputClaimToHeaders").Index(i), c)...)
	}
	if t := r.GetTimeout(); t != nil {
		errs = append(errs, validateMillisDuration(p.Child("timeout"), t.AsDuration())...)
	}
	return errs
}

// validateJWKSURI checks the URI Envoy fetches keys from: http or https.
// The host is not checked, as in Istio (an empty one fails at fetch time).
func validateJWKSURI(p *field.Path, uri string) field.ErrorList {
	if uri == "" {
		return nil
	}
	u, err := url.Parse(uri)
	if err == nil && u.Scheme != "http" && u.Scheme != "https" {
		err = fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if err == nil && u.Port() != "" {
		_, err = strconv.Atoi(u.Port())
	}
	if err != nil {
		return field.ErrorList{invalid(p, uri, "jwksUri %q: %v", uri, err)}
	}
	return nil
}

// jwkTypes are the key types (RFC 7518 "kty") a JWKS can hold.
var jwkTypes = map[string]bool{"RSA": true, "EC": true, "OKP": true, "oct": true}

// validateJWKS checks inline keys: a JSON Web Key Set, or a single key,
// whose keys all have a known type. Envoy refuses anything else and then
// rejects every token, so it is caught here.
func validateJWKS(p *field.Path, jwks string) field.ErrorList {
	if jwks == "" {
		return nil
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
		Kty  *string          `json:"kty"`
	}
	if err := json.Unmarshal([]byte(jwks), &set); err != nil {
		return field.ErrorList{invalid(p, jwks, "jwks is not a JSON Web Key Set: %v", err)}
	}
	if set.Kty != nil {
		set.Keys = append(set.Keys, map[string]any{"kty": *set.Kty})
	}
	for i, k := range set.Keys {
		if kty, _ := k["kty"].(string); !jwkTypes[kty] {
			return field.ErrorList{invalid(p, jwks, "jwks key %d has key type %q, want RSA, EC, OKP or oct", i, k["kty"])}
		}
	}
	return nil
}

// headerToken is the characters Istio allows in a header it writes.
var headerToken = regexp.MustCompile(`^[-_A-Za-z0-9]+$`)

func validateClaimToHeader(p *field.Path, c *security.ClaimToHeader) field.ErrorList {
	switch {
	case c.GetHeader() == "" || c.GetClaim() == "":
		return field.ErrorList{field.Required(p, "header and claim are required")}
	case !headerToken.MatchString(c.GetHeader()):
		return field.ErrorList{invalid(p.Child("header"), c.GetHeader(), "header %q: only letters, digits, - and _ are allowed", c.GetHeader())}
	}
	return nil
}

// validateMillisDuration checks a duration Envoy takes in milliseconds:
// at least 1ms, and no finer.
func validateMillisDuration(p *field.Path, d time.Duration) field.ErrorList {
	switch {
	case d < time.Millisecond:
		return field.ErrorList{invalid(p, d.String(), "duration must be at least 1ms, got %s", d)}
	case d%time.Millisecond != 0:
		return field.ErrorList{invalid(p, d.String(), "duration must be a whole number of milliseconds, got %s", d)}
	}
	return nil
}
