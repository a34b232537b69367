// Package validation checks Istio resources semantically, beyond what the
// schema (strict decoding) already guarantees. Per-kind functions return
// field.ErrorLists with JSON paths (spec.http[0].route[1].weight) so that
// weft's file source, `weftctl validate` and the validating webhook report
// the same errors the same way.
package validation

import (
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
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

// oneOf checks value is empty or one of allowed (an enum field).
func oneOf(p *field.Path, value string, allowed ...string) field.ErrorList {
	if value == "" || slices.Contains(allowed, value) {
		return nil
	}
	e := field.NotSupported(p, value, allowed)
	e.Detail = fmt.Sprintf("unsupported value %q, want one of %s", value, strings.Join(allowed, ", "))
	return field.ErrorList{e}
}

var durationType = reflect.TypeFor[networkingv1.Duration]()

// validateDurations reports every Duration anywhere under v that does not
// parse. Walking by reflection means a Duration field added to the API
// later is checked without anyone remembering to.
func validateDurations(p *field.Path, v any) field.ErrorList {
	var errs field.ErrorList
	walkDurations(p, reflect.ValueOf(v), &errs)
	return errs
}

func walkDurations(p *field.Path, v reflect.Value, errs *field.ErrorList) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkDurations(p, v.Elem(), errs)
		}
	case reflect.Struct:
		walkStructDurations(p, v, errs)
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkDurations(p.Index(i), v.Index(i), errs)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			walkDurations(p.Key(fmt.Sprint(k)), v.MapIndex(k), errs)
		}
	case reflect.String:
		if v.Type() == durationType {
			*errs = append(*errs, validateDuration(p, networkingv1.Duration(v.String()))...)
		}
	}
}

func walkStructDurations(p *field.Path, v reflect.Value, errs *field.ErrorList) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		fp := p
		if name != "" { // "" is an inlined struct: same path
			fp = p.Child(name)
		}
		walkDurations(fp, v.Field(i), errs)
	}
}

func validateDuration(p *field.Path, d networkingv1.Duration) field.ErrorList {
	if _, err := d.Parse(); err != nil {
		if strings.HasPrefix(string(d), "-") {
			return field.ErrorList{invalid(p, string(d), "invalid duration %q: must not be negative", string(d))}
		}
		return field.ErrorList{invalid(p, string(d),
			"invalid duration %q: want a number with a unit, such as 5s, 100ms or 1m30s", string(d))}
	}
	return nil
}

// validateRegex checks re compiles; Envoy uses RE2, whose syntax Go's
// regexp package implements.
func validateRegex(p *field.Path, re string) field.ErrorList {
	if _, err := regexp.Compile(re); err != nil {
		return field.ErrorList{invalid(p, re, "invalid regex %q: %v", re, strings.TrimPrefix(err.Error(), "error parsing regexp: "))}
	}
	return nil
}

// validateStringMatch checks that m sets exactly one of exact, prefix and
// regex, or at most one when allowEmpty (header and query parameter
// matches, where an empty match means "present").
func validateStringMatch(p *field.Path, m networkingv1.StringMatch, allowEmpty bool) field.ErrorList {
	var set []string
	for _, f := range [...]struct{ name, value string }{{"exact", m.Exact}, {"prefix", m.Prefix}, {"regex", m.Regex}} {
		if f.value != "" {
			set = append(set, f.name)
		}
	}
	switch {
	case len(set) > 1:
		return field.ErrorList{invalid(p, m, "exactly one of exact, prefix or regex may be set, got %s", strings.Join(set, " and "))}
	case len(set) == 0 && !allowEmpty:
		return field.ErrorList{field.Required(p, "one of exact, prefix or regex is required")}
	case m.Regex != "":
		return validateRegex(p.Child("regex"), m.Regex)
	}
	return nil
}

func validateStringMatchMap(p *field.Path, ms map[string]networkingv1.StringMatch) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(ms) {
		if name == "" {
			errs = append(errs, field.Required(p, "names must not be empty"))
			continue
		}
		errs = append(errs, validateStringMatch(p.Key(name), ms[name], true)...)
	}
	return errs
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
func validatePercent(p *field.Path, pct *networkingv1.Percent) field.ErrorList {
	if pct == nil || (pct.Value >= 0 && pct.Value <= 100) {
		return nil
	}
	return field.ErrorList{invalid(p.Child("value"), pct.Value, "percentage must be between 0 and 100, got %v", pct.Value)}
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
