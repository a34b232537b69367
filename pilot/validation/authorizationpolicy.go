package validation

import (
	"strconv"

	security "istio.io/api/security/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateAuthorizationPolicy checks one AuthorizationPolicy as Istio's
// webhook does: what it applies to, its action, and every rule.
func ValidateAuthorizationPolicy(ap *securityv1.AuthorizationPolicy) field.ErrorList {
	spec, p := &ap.Spec, field.NewPath("spec")
	errs := validatePolicyTargets(p, spec.GetSelector(), spec.GetTargetRef(), spec.GetTargetRefs())
	errs = append(errs, validateAction(p, spec)...)
	custom := spec.GetAction() == security.AuthorizationPolicy_CUSTOM
	for i, r := range spec.GetRules() {
		errs = append(errs, validateRule(p.Child("rules").Index(i), r, custom)...)
	}
	return errs
}

// validateAction checks the action against rules and provider. DENY and
// CUSTOM policies without rules never match anything, which is surely not
// what was meant (an ALLOW policy without rules denies everything, on purpose).
func validateAction(p *field.Path, spec *security.AuthorizationPolicy) field.ErrorList {
	action := spec.GetAction()
	var errs field.ErrorList
	noRules := len(spec.GetRules()) == 0
	if noRules && (action == security.AuthorizationPolicy_DENY || action == security.AuthorizationPolicy_CUSTOM) {
		errs = append(errs, field.Required(p.Child("rules"),
			action.String()+" policy without rules never applies: add an empty rule {} to apply it to every request"))
	}
	switch {
	case action == security.AuthorizationPolicy_CUSTOM && !noRules && spec.GetProvider().GetName() == "":
		errs = append(errs, field.Required(p.Child("provider").Child("name"), "CUSTOM action needs a provider name"))
	case action != security.AuthorizationPolicy_CUSTOM && spec.GetProvider() != nil:
		errs = append(errs, field.Forbidden(p.Child("provider"), "provider is only allowed with the CUSTOM action"))
	}
	return errs
}

func validateRule(p *field.Path, r *security.Rule, custom bool) field.ErrorList {
	var errs field.ErrorList
	for i, f := range r.GetFrom() {
		fp := p.Child("from").Index(i)
		if f.GetSource() == nil {
			errs = append(errs, field.Required(fp.Child("source"), "source is required"))
			continue
		}
		errs = append(errs, validateSource(fp.Child("source"), f.GetSource(), custom)...)
	}
	for i, t := range r.GetTo() {
		tp := p.Child("to").Index(i)
		if t.GetOperation() == nil {
			errs = append(errs, field.Required(tp.Child("operation"), "operation is required"))
			continue
		}
		errs = append(errs, validateOperation(tp.Child("operation"), t.GetOperation())...)
	}
	for i, c := range r.GetWhen() {
		errs = append(errs, validateCondition(p.Child("when").Index(i), c, custom)...)
	}
	return errs
}

// namedList is one of the string lists of a source or an operation.
type namedList struct {
	name   string
	values []string
}

func sourceLists(s *security.Source) []namedList {
	return []namedList{
		{"principals", s.GetPrincipals()}, {"notPrincipals", s.GetNotPrincipals()},
		{"requestPrincipals", s.GetRequestPrincipals()}, {"notRequestPrincipals", s.GetNotRequestPrincipals()},
		{"namespaces", s.GetNamespaces()}, {"notNamespaces", s.GetNotNamespaces()},
		{"serviceAccounts", s.GetServiceAccounts()}, {"notServiceAccounts", s.GetNotServiceAccounts()},
		{"trustDomains", s.GetTrustDomains()}, {"notTrustDomains", s.GetNotTrustDomains()},
		{"ipBlocks", s.GetIpBlocks()}, {"notIpBlocks", s.GetNotIpBlocks()},
		{"remoteIpBlocks", s.GetRemoteIpBlocks()}, {"notRemoteIpBlocks", s.GetNotRemoteIpBlocks()},
	}
}

func validateSource(p *field.Path, s *security.Source, custom bool) field.ErrorList {
	var errs field.ErrorList
	set := false
	for _, l := range sourceLists(s) {
		set = set || len(l.values) > 0
		errs = append(errs, validateSourceList(p.Child(l.name), l)...)
		if custom && len(l.values) > 0 && identityField[l.name] {
			// The external authorizer gets the request, not the peer's
			// verified identity, so these could never be checked.
			errs = append(errs, field.Forbidden(p.Child(l.name), l.name+" is not supported with the CUSTOM action"))
		}
	}
	if !set {
		errs = append(errs, field.Required(p, "source must set at least one field; leave out from to match every source"))
	}
	return append(errs, validateServiceAccountMix(p, s)...)
}

// identityField are the source fields a CUSTOM policy cannot use.
var identityField = map[string]bool{
	"principals": true, "notPrincipals": true, "requestPrincipals": true, "notRequestPrincipals": true,
	"namespaces": true, "notNamespaces": true, "serviceAccounts": true, "notServiceAccounts": true,
	"trustDomains": true, "notTrustDomains": true,
}

func validateSourceList(p *field.Path, l namedList) field.ErrorList {
	switch l.name {
	case "ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks":
		return forEachValue(p, l.values, validateIPOrCIDR)
	case "serviceAccounts", "notServiceAccounts":
		return validateServiceAccounts(p, l.values)
	case "trustDomains", "notTrustDomains":
		return forEachValue(p, l.values, validateTrustDomain)
	}
	return forEachValue(p, l.values, validateNonEmpty)
}

// validateServiceAccountMix: serviceAccounts name namespace and account,
// so combining them with namespaces or principals in one source is ambiguous.
func validateServiceAccountMix(p *field.Path, s *security.Source) field.ErrorList {
	identities := len(s.GetPrincipals()) + len(s.GetNotPrincipals()) + len(s.GetNamespaces()) + len(s.GetNotNamespaces())
	if identities == 0 || len(s.GetServiceAccounts())+len(s.GetNotServiceAccounts()) == 0 {
		return nil
	}
	name := "serviceAccounts"
	if len(s.GetServiceAccounts()) == 0 {
		name = "notServiceAccounts"
	}
	return field.ErrorList{field.Forbidden(p.Child(name), name+" cannot be combined with principals or namespaces in one source")}
}

// forEachValue applies check to every element of a list.
func forEachValue(p *field.Path, values []string, check func(*field.Path, string) field.ErrorList) field.ErrorList {
	var errs field.ErrorList
	for i, v := range values {
		errs = append(errs, check(p.Index(i), v)...)
	}
	return errs
}

// validateNonEmpty: an empty string in a match list matches nothing
// useful and is always a mistake.
func validateNonEmpty(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "value must not be empty")}
	}
	return nil
}

func validateOperation(p *field.Path, op *security.Operation) field.ErrorList {
	lists := []namedList{
		{"hosts", op.GetHosts()}, {"notHosts", op.GetNotHosts()},
		{"ports", op.GetPorts()}, {"notPorts", op.GetNotPorts()},
		{"methods", op.GetMethods()}, {"notMethods", op.GetNotMethods()},
		{"paths", op.GetPaths()}, {"notPaths", op.GetNotPaths()},
	}
	var errs field.ErrorList
	set := false
	for _, l := range lists {
		set = set || len(l.values) > 0
		check := validateNonEmpty
		switch l.name {
		case "ports", "notPorts":
			check = validatePortString
		case "paths", "notPaths":
			check = validatePathTemplate
		}
		errs = append(errs, forEachValue(p.Child(l.name), l.values, check)...)
	}
	if !set {
		errs = append(errs, field.Required(p, "operation must set at least one field; leave out to to match every request"))
	}
	return errs
}

// validatePortString checks a port written as a string. Istio takes 0 too
// (it never matches a real port), so weft does as well.
func validatePortString(p *field.Path, port string) field.ErrorList {
	if n, err := strconv.ParseUint(port, 10, 32); err != nil || n > 65535 {
		return field.ErrorList{invalid(p, port, "port must be a number between 0 and 65535, got %q", port)}
	}
	return nil
}
