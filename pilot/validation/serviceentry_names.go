package validation

import (
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// wildcardLabelRE is a DNS label that may start with "*" or "*-" (Istio
// takes "*images" as a partial wildcard), or the label "*" alone.
var wildcardLabelRE = regexp.MustCompile(`^(\*|(\*|\*-)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)$`)

// validateFQDN returns why name is not a DNS name as Istio accepts it
// (case-insensitive labels, a trailing dot allowed, a top-level label not
// all digits), or "".
func validateFQDN(name string) string {
	switch {
	case name == "":
		return "must not be empty"
	case len(name) > 255:
		return "is longer than 255 characters"
	}
	labels := strings.Split(name, ".")
	if _, err := strconv.Atoi(labels[len(labels)-1]); err == nil {
		return "has an all-numeric top-level label"
	}
	for i, l := range labels {
		if i == len(labels)-1 && l == "" && i > 0 {
			return ""
		}
		if len(validation.IsDNS1123Label(strings.ToLower(l))) > 0 {
			return "has the invalid label " + strconv.Quote(l)
		}
	}
	return ""
}

// validateWildcardDomain checks a host of a DestinationRule or
// ServiceEntry: a DNS name whose first label may be a wildcard ("*",
// "*.example.com", and the partial "*images.example.com").
func validateWildcardDomain(p *field.Path, host string) field.ErrorList {
	if host == "" || len(host) > 255 {
		return field.ErrorList{invalid(p, host, "host must be a DNS name of 1 to 255 characters")}
	}
	first, rest, hasRest := strings.Cut(host, ".")
	if len(first) > 63 || !wildcardLabelRE.MatchString(first) {
		return field.ErrorList{invalid(p, host, "invalid host %q: %q is not a DNS label or a wildcard", host, first)}
	}
	if !hasRest {
		return nil
	}
	if msg := validateFQDN(rest); msg != "" {
		return field.ErrorList{invalid(p, host, "invalid host %q: the domain %s", host, msg)}
	}
	return nil
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// visibilityRules are the kind-specific parts of exportTo's rules.
type visibilityRules struct {
	serviceEntry bool // "~" (visible to no one) is allowed
	selector     bool // a DestinationRule with a workloadSelector: own namespace only
}

// validateVisibility checks exportTo as Istio does: ".", "*", a namespace,
// and for ServiceEntries "~"; no entry twice ("." counts as the object's
// own namespace); "*" and "~" only alone.
func validateVisibility(p *field.Path, ns string, exportTo []string, r visibilityRules) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, e := range exportTo {
		key := e
		if e == "." {
			key = ns
		}
		switch {
		case seen[key]:
			errs = append(errs, duplicate(p.Index(i), e, "exportTo names %q twice (\".\" is the namespace %s)", e, ns))
		case e == "~" && !r.serviceEntry:
			errs = append(errs, invalid(p.Index(i), e, "exportTo \"~\" (no one) is only allowed on ServiceEntries"))
		case e != "*" && e != "~" && e != "." && len(validation.IsDNS1123Label(e)) > 0:
			errs = append(errs, invalid(p.Index(i), e, "exportTo entries must be \".\", \"*\" or a namespace name, got %q", e))
		default:
			seen[key] = true
		}
	}
	errs = append(errs, checkExclusiveVisibility(p, exportTo)...)
	if r.selector {
		errs = append(errs, validateSelectorVisibility(p, ns, exportTo)...)
	}
	return errs
}

// checkExclusiveVisibility: "*" (everyone) and "~" (no one) say it all, so
// combining them with other entries is a contradiction, reported on the
// last entry (the one most likely added by mistake).
func checkExclusiveVisibility(p *field.Path, exportTo []string) field.ErrorList {
	if len(exportTo) < 2 || (!slices.Contains(exportTo, "*") && !slices.Contains(exportTo, "~")) {
		return nil
	}
	last := len(exportTo) - 1
	return field.ErrorList{invalid(p.Index(last), exportTo[last], "exportTo \"*\" (everyone) and \"~\" (no one) cannot be combined with other entries")}
}

// validateSelectorVisibility: a DestinationRule with a workloadSelector
// applies to workloads of its own namespace only, so exporting it
// elsewhere has no meaning.
func validateSelectorVisibility(p *field.Path, ns string, exportTo []string) field.ErrorList {
	var errs field.ErrorList
	for i, e := range exportTo {
		if e != "." && e != ns {
			errs = append(errs, invalid(p.Index(i), e, "a DestinationRule with a workloadSelector can only be exported to its own namespace (\".\")"))
		}
	}
	return errs
}
