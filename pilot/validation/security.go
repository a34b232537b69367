package validation

import (
	"maps"
	"net/url"
	"slices"
	"strconv"

	security "istio.io/api/security/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidatePeerAuthentication checks one PeerAuthentication. Modes are
// enums and port keys numbers, both checked by the decoder.
func ValidatePeerAuthentication(pa *securityv1.PeerAuthentication) field.ErrorList {
	spec, p := &pa.Spec, field.NewPath("spec")
	var errs field.ErrorList
	// Ports only mean something for selected workloads, whose ports are known.
	if len(spec.GetPortLevelMtls()) > 0 && len(spec.GetSelector().GetMatchLabels()) == 0 {
		errs = append(errs, field.Forbidden(p.Child("portLevelMtls"), "portLevelMtls needs a selector"))
	}
	for _, port := range slices.Sorted(maps.Keys(spec.GetPortLevelMtls())) {
		if port < 1 || port > 65535 {
			pp := p.Child("portLevelMtls").Key(strconv.FormatUint(uint64(port), 10))
			errs = append(errs, invalid(pp, port, "port must be a number between 1 and 65535, got %d", port))
		}
	}
	return errs
}

// ValidateAuthorizationPolicy checks one AuthorizationPolicy.
func ValidateAuthorizationPolicy(ap *securityv1.AuthorizationPolicy) field.ErrorList {
	spec, p := &ap.Spec, field.NewPath("spec")
	var errs field.ErrorList
	custom := spec.GetAction() == security.AuthorizationPolicy_CUSTOM
	switch {
	case custom && spec.GetProvider().GetName() == "":
		errs = append(errs, field.Required(p.Child("provider").Child("name"), "CUSTOM action needs a provider"))
	case !custom && spec.GetProvider() != nil:
		errs = append(errs, field.Forbidden(p.Child("provider"), "provider is only allowed with the CUSTOM action"))
	}
	if spec.GetSelector() != nil && (spec.GetTargetRef() != nil || len(spec.GetTargetRefs()) > 0) {
		errs = append(errs, field.Forbidden(p.Child("targetRef"), "selector and targetRef are mutually exclusive"))
	}
	for i, r := range spec.GetRules() {
		errs = append(errs, validateRule(p.Child("rules").Index(i), r)...)
	}
	return errs
}

func validateRule(p *field.Path, r *security.Rule) field.ErrorList {
	var errs field.ErrorList
	for i, f := range r.GetFrom() {
		sp := p.Child("from").Index(i).Child("source")
		if f.GetSource() == nil {
			errs = append(errs, field.Required(sp, "source is required"))
			continue
		}
		errs = append(errs, validateSource(sp, f.GetSource())...)
	}
	for i, t := range r.GetTo() {
		op := p.Child("to").Index(i).Child("operation")
		if t.GetOperation() == nil {
			errs = append(errs, field.Required(op, "operation is required"))
			continue
		}
		errs = append(errs, validatePortStrings(op.Child("ports"), t.GetOperation().GetPorts())...)
		errs = append(errs, validatePortStrings(op.Child("notPorts"), t.GetOperation().GetNotPorts())...)
	}
	for i, c := range r.GetWhen() {
		cp := p.Child("when").Index(i)
		if c.GetKey() == "" {
			errs = append(errs, field.Required(cp.Child("key"), "key is required"))
		}
		if len(c.GetValues()) == 0 && len(c.GetNotValues()) == 0 {
			errs = append(errs, field.Required(cp.Child("values"), "values or notValues is required"))
		}
	}
	return errs
}

func validateSource(p *field.Path, s *security.Source) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name   string
		blocks []string
	}{{"ipBlocks", s.GetIpBlocks()}, {"notIpBlocks", s.GetNotIpBlocks()}, {"remoteIpBlocks", s.GetRemoteIpBlocks()}, {"notRemoteIpBlocks", s.GetNotRemoteIpBlocks()}} {
		for i, b := range f.blocks {
			errs = append(errs, validateIPOrCIDR(p.Child(f.name).Index(i), b)...)
		}
	}
	return errs
}

// validatePortStrings checks ports Istio writes as strings (operations).
func validatePortStrings(p *field.Path, ports []string) field.ErrorList {
	var errs field.ErrorList
	for i, port := range ports {
		if n, err := strconv.ParseUint(port, 10, 32); err != nil || n < 1 || n > 65535 {
			errs = append(errs, invalid(p.Index(i), port, "port must be a number between 1 and 65535, got %q", port))
		}
	}
	return errs
}

// ValidateRequestAuthentication checks one RequestAuthentication.
func ValidateRequestAuthentication(ra *securityv1.RequestAuthentication) field.ErrorList {
	spec, p := &ra.Spec, field.NewPath("spec")
	var errs field.ErrorList
	for i, r := range spec.GetJwtRules() {
		errs = append(errs, validateJWTRule(p.Child("jwtRules").Index(i), r)...)
	}
	return errs
}

func validateJWTRule(p *field.Path, r *security.JWTRule) field.ErrorList {
	var errs field.ErrorList
	if r.GetIssuer() == "" {
		errs = append(errs, field.Required(p.Child("issuer"), "issuer is required"))
	}
	uri := r.GetJwksUri()
	if uri != "" && r.GetJwks() != "" {
		errs = append(errs, field.Forbidden(p.Child("jwks"), "jwksUri and jwks are mutually exclusive"))
	}
	if uri != "" {
		if u, err := url.Parse(uri); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, invalid(p.Child("jwksUri"), uri, "jwksUri must be an http(s) URL, got %q", uri))
		}
	}
	for i, h := range r.GetFromHeaders() {
		if h.GetName() == "" {
			errs = append(errs, field.Required(p.Child("fromHeaders").Index(i).Child("name"), "header name is required"))
		}
	}
	for i, c := range r.GetOutputClaimToHeaders() {
		if c.GetHeader() == "" || c.GetClaim() == "" {
			errs = append(errs, field.Required(p.Child("outputClaimToHeaders").Index(i), "header and claim are required"))
		}
	}
	return errs
}
