package validation

import (
	"net/url"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"

	securityv1 "github.com/weftmesh/weft/apis/security/v1"
)

var mtlsModes = []string{"UNSET", "DISABLE", "PERMISSIVE", "STRICT"}

// ValidatePeerAuthentication checks one PeerAuthentication.
func ValidatePeerAuthentication(pa *securityv1.PeerAuthentication) field.ErrorList {
	spec, p := &pa.Spec, field.NewPath("spec")
	var errs field.ErrorList
	if spec.Mtls != nil {
		errs = append(errs, oneOf(p.Child("mtls").Child("mode"), spec.Mtls.Mode, mtlsModes...)...)
	}
	// Ports only mean something for selected workloads, whose ports are known.
	if len(spec.PortLevelMtls) > 0 && (spec.Selector == nil || len(spec.Selector.MatchLabels) == 0) {
		errs = append(errs, field.Forbidden(p.Child("portLevelMtls"), "portLevelMtls needs a selector"))
	}
	for _, port := range sortedKeys(spec.PortLevelMtls) {
		pp := p.Child("portLevelMtls").Key(port)
		if n, err := strconv.ParseUint(port, 10, 32); err != nil || n < 1 || n > 65535 {
			errs = append(errs, invalid(pp, port, "port must be a number between 1 and 65535, got %q", port))
		}
		errs = append(errs, oneOf(pp.Child("mode"), spec.PortLevelMtls[port].Mode, mtlsModes...)...)
	}
	return errs
}

// ValidateAuthorizationPolicy checks one AuthorizationPolicy.
func ValidateAuthorizationPolicy(ap *securityv1.AuthorizationPolicy) field.ErrorList {
	spec, p := &ap.Spec, field.NewPath("spec")
	errs := oneOf(p.Child("action"), spec.Action, "ALLOW", "DENY", "AUDIT", "CUSTOM")
	switch {
	case spec.Action == "CUSTOM" && (spec.Provider == nil || spec.Provider.Name == ""):
		errs = append(errs, field.Required(p.Child("provider").Child("name"), "CUSTOM action needs a provider"))
	case spec.Action != "CUSTOM" && spec.Provider != nil:
		errs = append(errs, field.Forbidden(p.Child("provider"), "provider is only allowed with the CUSTOM action"))
	}
	if spec.Selector != nil && (spec.TargetRef != nil || len(spec.TargetRefs) > 0) {
		errs = append(errs, field.Forbidden(p.Child("targetRef"), "selector and targetRef are mutually exclusive"))
	}
	for i, r := range spec.Rules {
		errs = append(errs, validateRule(p.Child("rules").Index(i), r)...)
	}
	return errs
}

func validateRule(p *field.Path, r securityv1.Rule) field.ErrorList {
	var errs field.ErrorList
	for i, f := range r.From {
		if f.Source == nil {
			errs = append(errs, field.Required(p.Child("from").Index(i).Child("source"), "source is required"))
			continue
		}
		errs = append(errs, validateSource(p.Child("from").Index(i).Child("source"), f.Source)...)
	}
	for i, t := range r.To {
		op := p.Child("to").Index(i).Child("operation")
		if t.Operation == nil {
			errs = append(errs, field.Required(op, "operation is required"))
			continue
		}
		errs = append(errs, validatePortStrings(op.Child("ports"), t.Operation.Ports)...)
		errs = append(errs, validatePortStrings(op.Child("notPorts"), t.Operation.NotPorts)...)
	}
	for i, c := range r.When {
		cp := p.Child("when").Index(i)
		if c.Key == "" {
			errs = append(errs, field.Required(cp.Child("key"), "key is required"))
		}
		if len(c.Values) == 0 && len(c.NotValues) == 0 {
			errs = append(errs, field.Required(cp.Child("values"), "values or notValues is required"))
		}
	}
	return errs
}

func validateSource(p *field.Path, s *securityv1.Source) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name   string
		blocks []string
	}{{"ipBlocks", s.IPBlocks}, {"notIpBlocks", s.NotIPBlocks}, {"remoteIpBlocks", s.RemoteIPBlocks}, {"notRemoteIpBlocks", s.NotRemoteIPBlocks}} {
		for i, b := range f.blocks {
			errs = append(errs, validateIPOrCIDR(p.Child(f.name).Index(i), b)...)
		}
	}
	return errs
}

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
	for i, r := range spec.JwtRules {
		errs = append(errs, validateJWTRule(p.Child("jwtRules").Index(i), r)...)
	}
	return append(errs, validateDurations(p, spec)...)
}

func validateJWTRule(p *field.Path, r securityv1.JWTRule) field.ErrorList {
	var errs field.ErrorList
	if r.Issuer == "" {
		errs = append(errs, field.Required(p.Child("issuer"), "issuer is required"))
	}
	if r.JwksURI != "" && r.Jwks != "" {
		errs = append(errs, field.Forbidden(p.Child("jwks"), "jwksUri and jwks are mutually exclusive"))
	}
	if r.JwksURI != "" {
		if u, err := url.Parse(r.JwksURI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, invalid(p.Child("jwksUri"), r.JwksURI, "jwksUri must be an http(s) URL, got %q", r.JwksURI))
		}
	}
	for i, h := range r.FromHeaders {
		if h.Name == "" {
			errs = append(errs, field.Required(p.Child("fromHeaders").Index(i).Child("name"), "header name is required"))
		}
	}
	for i, c := range r.OutputClaimToHeaders {
		if c.Header == "" || c.Claim == "" {
			errs = append(errs, field.Required(p.Child("outputClaimToHeaders").Index(i), "header and claim are required"))
		}
	}
	return errs
}
