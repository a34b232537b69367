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

// jwkMembers are the key types (RFC 7518 "kty") a JWKS can hold, with the
// members a public key of each type cannot do without.
var jwkMembers = map[string][]string{
	"RSA": {"n", "e"},
	"EC":  {"crv", "x", "y"},
	"OKP": {"crv", "x"},
	"oct": {"k"},
}

// validateJWKS checks inline keys: a JSON Web Key Set, or an object that
// is one key, each key of a known type with its required members. Envoy
// refuses anything else and then rejects every token, so it is caught here.
func validateJWKS(p *field.Path, jwks string) field.ErrorList {
	if jwks == "" {
		return nil
	}
	var keys []map[string]any
	err := parseJWKS(jwks, &keys)
	for i := 0; err == nil && i < len(keys); i++ {
		err = checkJWK(i, keys[i])
	}
	if err != nil {
		return field.ErrorList{invalid(p, jwks, "jwks is not a valid JSON Web Key Set: %v", err)}
	}
	return nil
}

// parseJWKS reads the keys of a set ({"keys": [...]}) or the sole key.
func parseJWKS(jwks string, keys *[]map[string]any) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(jwks), &obj); err != nil {
		return err
	}
	if raw, ok := obj["keys"]; ok {
		return json.Unmarshal(raw, keys)
	}
	var key map[string]any
	err := json.Unmarshal([]byte(jwks), &key)
	*keys = append(*keys, key)
	return err
}

func checkJWK(i int, key map[string]any) error {
	kty, _ := key["kty"].(string)
	members, ok := jwkMembers[kty]
	if !ok {
		return fmt.Errorf("key %d has key type %q, want RSA, EC, OKP or oct", i, kty)
	}
	for _, m := range members {
		if _, ok := key[m].(string); !ok {
			return fmt.Errorf("%s key %d has no %q", kty, i, m)
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
