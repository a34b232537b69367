package validation

import (
	"regexp"
	"strings"

	security "istio.io/api/security/v1beta1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxServiceAccounts bounds a serviceAccounts list, as Istio does, so one
// policy cannot grow the proxy's configuration without limit.
const maxServiceAccounts = 16

// validateServiceAccounts checks "name" or "namespace/name" entries.
func validateServiceAccounts(p *field.Path, values []string) field.ErrorList {
	if len(values) > maxServiceAccounts {
		return field.ErrorList{field.TooMany(p, len(values), maxServiceAccounts)}
	}
	return forEachValue(p, values, validateServiceAccount)
}

func validateServiceAccount(p *field.Path, sa string) field.ErrorList {
	ns, name, qualified := strings.Cut(sa, "/")
	switch {
	case sa == "":
		return field.ErrorList{field.Required(p, "service account must not be empty")}
	case strings.Contains(sa, "*"):
		return field.ErrorList{invalid(p, sa, "service account %q: wildcards are not supported", sa)}
	case strings.Count(sa, "/") > 1, qualified && (ns == "" || name == ""):
		return field.ErrorList{invalid(p, sa, "service account %q: want \"name\" or \"namespace/name\"", sa)}
	case len(sa) > 320:
		return field.ErrorList{invalid(p, sa, "service account is longer than 320 characters")}
	}
	return nil
}

// validateWildcard checks a value that may use one "*" at its start or
// end (a prefix, suffix or presence match), the only forms Envoy's string
// matchers built from it can express.
func validateWildcard(p *field.Path, v string) field.ErrorList {
	n := strings.Count(v, "*")
	switch {
	case v == "":
		return field.ErrorList{field.Required(p, "value must not be empty")}
	case n > 1:
		return field.ErrorList{invalid(p, v, "%q: at most one wildcard is allowed", v)}
	case n == 1 && !strings.HasPrefix(v, "*") && !strings.HasSuffix(v, "*"):
		return field.ErrorList{invalid(p, v, "%q: a wildcard must be at the start or the end", v)}
	}
	return nil
}

// validateTrustDomain is validateWildcard for trust domains, which are
// the first part of a SPIFFE identity and so cannot hold a "/".
func validateTrustDomain(p *field.Path, td string) field.ErrorList {
	if errs := validateWildcard(p, td); errs != nil {
		return errs
	}
	if strings.Contains(td, "/") {
		return field.ErrorList{invalid(p, td, "trust domain %q must not contain \"/\"", td)}
	}
	return nil
}

// pathLiteral is RFC 3986's pchar: what a path template segment may hold
// besides the {*} and {**} operators.
var pathLiteral = regexp.MustCompile(`^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$`)

// validatePathTemplate checks a path that may use Envoy's uri templates:
// {*} matches one segment, {**} the rest of the path and must come last.
// Braces mean nothing else, so any other use is a mistake.
func validatePathTemplate(p *field.Path, path string) field.ErrorList {
	if path == "" {
		return field.ErrorList{field.Required(p, "path must not be empty")}
	}
	templated := strings.Contains(path, "{*}") || strings.Contains(path, "{**}")
	seenRest := false
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		var problem string
		switch {
		case (seg == "{*}" || seg == "{**}") && seenRest:
			problem = "{**} must be the last segment"
		case seg == "{**}":
			seenRest = true
		case seg == "{*}":
		case strings.ContainsAny(seg, "{}"):
			problem = "braces are only allowed as the {*} and {**} templates"
		case templated && !pathLiteral.MatchString(seg):
			problem = "segment " + seg + " holds a character a templated path cannot match"
		}
		if problem != "" {
			return field.ErrorList{invalid(p, path, "path %q: %s", path, problem)}
		}
	}
	return nil
}

func validateCondition(p *field.Path, c *security.Condition, custom bool) field.ErrorList {
	key := c.GetKey()
	switch {
	case key == "":
		return field.ErrorList{field.Required(p.Child("key"), "key is required")}
	case len(c.GetValues()) == 0 && len(c.GetNotValues()) == 0:
		return field.ErrorList{field.Required(p.Child("values"), "values or notValues is required")}
	}
	errs := validateConditionKey(p.Child("key"), key, custom)
	if len(errs) > 0 {
		return errs
	}
	check := conditionValueCheck(key)
	errs = append(errs, forEachValue(p.Child("values"), c.GetValues(), check)...)
	errs = append(errs, forEachValue(p.Child("notValues"), c.GetNotValues(), check)...)
	if key == "source.serviceAccount" {
		errs = append(errs, tooManyServiceAccounts(p, c)...)
	}
	return errs
}

func tooManyServiceAccounts(p *field.Path, c *security.Condition) field.ErrorList {
	var errs field.ErrorList
	for _, l := range []namedList{{"values", c.GetValues()}, {"notValues", c.GetNotValues()}} {
		if len(l.values) > maxServiceAccounts {
			errs = append(errs, field.TooMany(p.Child(l.name), len(l.values), maxServiceAccounts))
		}
	}
	return errs
}

// validateConditionKey checks a when key names an attribute Istio knows.
func validateConditionKey(p *field.Path, key string, custom bool) field.ErrorList {
	attr, known := conditionAttribute(key)
	switch {
	case !known:
		return field.ErrorList{invalid(p, key, "unknown attribute %q", key)}
	case attr.problem != "":
		return field.ErrorList{invalid(p, key, "attribute %q %s", key, attr.problem)}
	case attr.mapKey && !hasMapKey(key):
		return field.ErrorList{invalid(p, key, "attribute %q needs a name in brackets, e.g. %s[name]", key, attr.name)}
	case custom && attr.identity:
		return field.ErrorList{field.Forbidden(p, "attribute "+key+" is not supported with the CUSTOM action")}
	}
	return nil
}

// hasMapKey: "name[key]" with a non-empty key.
func hasMapKey(key string) bool {
	open := strings.IndexByte(key, '[')
	return open > 0 && strings.HasSuffix(key, "]") && open < len(key)-2
}

// attribute describes one condition key (or key prefix).
type attribute struct {
	name     string
	mapKey   bool   // written name[key]
	identity bool   // the peer's or the request's verified identity: not for CUSTOM
	problem  string // why the key cannot be used, if it cannot
	values   func(*field.Path, string) field.ErrorList
}

var attributes = []attribute{
	{name: "request.headers", mapKey: true},
	{name: "source.ip", values: validateIPOrCIDR},
	{name: "remote.ip", values: validateIPOrCIDR},
	{name: "source.namespace", identity: true},
	{name: "source.serviceAccount", identity: true, values: validateServiceAccount},
	{name: "source.principal", identity: true},
	{name: "source.trustDomain", identity: true, values: validateWildcard},
	{name: "request.auth.principal", identity: true},
	{name: "request.auth.audiences", identity: true},
	{name: "request.auth.presenter", identity: true},
	{name: "request.auth.claims", mapKey: true, identity: true},
	{name: "destination.ip", values: validateIPOrCIDR},
	{name: "destination.port", values: validatePortString},
	{name: "connection.sni"},
	{name: "experimental.envoy.filters.", mapKey: true},
	{name: "destination.namespace", problem: "is not supported: the policy's own namespace is the destination's"},
	{name: "destination.labels", mapKey: true, problem: "is not supported: use the workload selector"},
	{name: "destination.name", problem: "is not supported (it was v1alpha1 only)"},
	{name: "destination.user", problem: "is not supported (it was v1alpha1 only)"},
}

// conditionAttribute finds key's attribute: by name, or by prefix for
// the bracketed ones (whose prefix match is as loose as Istio's).
func conditionAttribute(key string) (attribute, bool) {
	for _, a := range attributes {
		if key == a.name || (a.mapKey && strings.HasPrefix(key, a.name)) {
			return a, true
		}
	}
	return attribute{}, false
}

// conditionValueCheck is how the values of key are checked: never empty,
// and in the attribute's own format when it has one.
func conditionValueCheck(key string) func(*field.Path, string) field.ErrorList {
	attr, _ := conditionAttribute(key)
	return func(p *field.Path, v string) field.ErrorList {
		if v == "" {
			return validateNonEmpty(p, v)
		}
		if attr.values == nil {
			return nil
		}
		return attr.values(p, v)
	}
}
