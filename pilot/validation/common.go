// Package validation checks Istio resources semantically, beyond what the
// schema (strict decoding) already guarantees. Per-kind functions return
// field.ErrorLists with JSON paths (spec.http[0].route[1].weight) so that
// weft's file source, `weftctl validate` and the validating webhook report
// the same errors the same way.
//
// Resources are Istio's own types (istio.io/client-go), whose specs are
// istio.io/api proto messages. Decoding already rejects unknown fields,
// wrong types, enum names that do not exist and two members of one oneof,
// so none of that is checked again here.
package validation

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// invalid is field.Invalid whose detail reads as a full sentence; the
// detail is what weft shows as the error message.
func invalid(p *field.Path, value any, format string, args ...any) *field.Error {
	return field.Invalid(p, value, fmt.Sprintf(format, args...))
}

// duplicate is field.Duplicate with a readable detail.
func duplicate(p *field.Path, value any, format string, args ...any) *field.Error {
	e := field.Duplicate(p, value)
	e.Detail = fmt.Sprintf(format, args...)
	return e
}

// oneOf checks value is empty or one of allowed: for the few enumerations
// Istio's API keeps as plain strings.
func oneOf(p *field.Path, value string, allowed ...string) field.ErrorList {
	if value == "" || slices.Contains(allowed, value) {
		return nil
	}
	e := field.NotSupported(p, value, allowed)
	e.Detail = fmt.Sprintf("unsupported value %q, want one of %s", value, strings.Join(allowed, ", "))
	return field.ErrorList{e}
}

// validateRegex checks re compiles; Envoy uses RE2, whose syntax Go's
// regexp package implements.
func validateRegex(p *field.Path, re string) field.ErrorList {
	if _, err := regexp.Compile(re); err != nil {
		return field.ErrorList{invalid(p, re, "invalid regex %q: %v", re, strings.TrimPrefix(err.Error(), "error parsing regexp: "))}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validatePercent checks a Percent lies in [0, 100].
func validatePercent(p *field.Path, pct *networking.Percent) field.ErrorList {
	if v := pct.GetValue(); v < 0 || v > 100 {
		return field.ErrorList{invalid(p.Child("value"), v, "percentage must be between 0 and 100, got %v", v)}
	}
	return nil
}

// validatePort checks a port number that must be set: 1-65535.
func validatePort(p *field.Path, port uint32) field.ErrorList {
	if port < 1 || port > 65535 {
		return field.ErrorList{invalid(p, port, "port number must be between 1 and 65535, got %d", port)}
	}
	return nil
}

// validateOptionalPort checks a port number where 0 means unset.
func validateOptionalPort(p *field.Path, port uint32) field.ErrorList {
	if port == 0 {
		return nil
	}
	return validatePort(p, port)
}

// validateHost checks a host name as Istio resources write it: a short or
// fully qualified DNS name, "*", or a "*." wildcard prefix.
func validateHost(p *field.Path, host string) field.ErrorList {
	if host == "" {
		return field.ErrorList{field.Required(p, "host must not be empty")}
	}
	if host == "*" {
		return nil
	}
	name := strings.TrimPrefix(host, "*.")
	if strings.Contains(name, "*") {
		return field.ErrorList{invalid(p, host, "invalid host %q: a wildcard may only be the leftmost label (*.example.com)", host)}
	}
	if msgs := validation.IsDNS1123Subdomain(strings.ToLower(name)); len(msgs) > 0 {
		return field.ErrorList{invalid(p, host, "invalid host %q: %s", host, strings.Join(msgs, "; "))}
	}
	return nil
}

// validateIPOrCIDR checks s is an IP address or a CIDR block.
func validateIPOrCIDR(p *field.Path, s string) field.ErrorList {
	if _, err := netip.ParsePrefix(s); err == nil {
		return nil
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	return field.ErrorList{invalid(p, s, "%q is neither an IP address nor a CIDR block", s)}
}

// validateExportTo checks exportTo entries: ".", "*", "~" or namespaces.
func validateExportTo(p *field.Path, exportTo []string) field.ErrorList {
	var errs field.ErrorList
	for i, ns := range exportTo {
		if ns == "." || ns == "*" || ns == "~" {
			continue
		}
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			errs = append(errs, invalid(p.Index(i), ns, "exportTo must be \".\", \"*\" or a namespace: %s", strings.Join(msgs, "; ")))
		}
	}
	return errs
}

// validateLabels checks label selectors are valid Kubernetes labels.
func validateLabels(p *field.Path, labels map[string]string) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(labels) {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, invalid(p.Key(k), k, "invalid label key %q: %s", k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(labels[k]) {
			errs = append(errs, invalid(p.Key(k), labels[k], "invalid label value %q: %s", labels[k], msg))
		}
	}
	return errs
}
