package validation

//lint:file-ignore SA1019 Istio still honours its deprecated fields (fault.delay.percent, mirrorPercent, LEAST_CONN, consecutiveErrors, minimumRingSize), and so must weft.

import (
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateVirtualService checks one VirtualService on its own; references
// to other resources (subsets) are checked by ValidateSnapshot.
func ValidateVirtualService(vs *networkingv1.VirtualService) field.ErrorList {
	spec, p := &vs.Spec, field.NewPath("spec")
	// A VirtualService without hosts is a delegate: only reachable from
	// another VirtualService's http[].delegate, so it has HTTP routes only.
	delegate := len(spec.GetHosts()) == 0
	var errs field.ErrorList
	if delegate {
		errs = append(errs, validateDelegateVS(p, spec)...)
	}
	errs = append(errs, validateGatewayRefs(p.Child("gateways"), spec.GetGateways())...)
	if !boundToGatewaysOnly(spec) {
		errs = append(errs, validateNoJWTClaimRoutes(p, spec)...)
	}
	errs = append(errs, validateVSHosts(p, spec)...)
	if len(spec.GetHttp())+len(spec.GetTcp())+len(spec.GetTls()) == 0 {
		errs = append(errs, field.Required(p, "a VirtualService needs at least one http, tcp or tls route"))
	}
	for i, r := range spec.GetHttp() {
		errs = append(errs, validateHTTPRoute(p.Child("http").Index(i), r, delegate)...)
	}
	for i, r := range spec.GetTls() {
		errs = append(errs, validateTLSRoute(p.Child("tls").Index(i), r, spec)...)
	}
	for i, r := range spec.GetTcp() {
		errs = append(errs, validateTCPRoute(p.Child("tcp").Index(i), r)...)
	}
	errs = append(errs, validateExportTo(p.Child("exportTo"), spec.GetExportTo())...)
	return append(errs, validateExportToSet(p.Child("exportTo"), vs.Namespace, spec.GetExportTo())...)
}

// validateDelegateVS refuses what a delegate cannot use: it is bound
// through its parent, so gateways mean nothing, and delegation only
// exists for HTTP routes.
func validateDelegateVS(p *field.Path, spec *networking.VirtualService) field.ErrorList {
	var errs field.ErrorList
	if len(spec.GetGateways()) > 0 {
		errs = append(errs, field.Forbidden(p.Child("gateways"), "a delegate VirtualService (one without hosts) cannot set gateways: its parent's apply"))
	}
	if len(spec.GetTls()) > 0 {
		errs = append(errs, field.Forbidden(p.Child("tls"), "a delegate VirtualService (one without hosts) can only have http routes"))
	}
	if len(spec.GetTcp()) > 0 {
		errs = append(errs, field.Forbidden(p.Child("tcp"), "a delegate VirtualService (one without hosts) can only have http routes"))
	}
	return errs
}

// boundToGatewaysOnly reports whether the VirtualService applies to
// gateways and not to sidecars (the "mesh" gateway).
func boundToGatewaysOnly(spec *networking.VirtualService) bool {
	return len(spec.GetGateways()) > 0 && !slices.Contains(spec.GetGateways(), "mesh")
}

// validateVSHosts checks each host; "*" would capture all mesh traffic, so
// Istio allows it only for VirtualServices bound to gateways alone. Hosts
// that overlap (equal, or one a wildcard covering the other) are refused.
func validateVSHosts(p *field.Path, spec *networking.VirtualService) field.ErrorList {
	var errs field.ErrorList
	mesh := !boundToGatewaysOnly(spec)
	for i, h := range spec.GetHosts() {
		hp := p.Child("hosts").Index(i)
		if isIP(h) {
			continue
		}
		errs = append(errs, validateHost(hp, h)...)
		if h == "*" && mesh {
			errs = append(errs, invalid(hp, h, `host "*" is not allowed for VirtualServices bound to the mesh gateway`))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	hosts := spec.GetHosts()
	for j := range hosts {
		for i := range j {
			if hostsOverlap(hosts[i], hosts[j]) {
				errs = append(errs, duplicate(p.Child("hosts").Index(j), hosts[j], "hosts %q and %q overlap: a request could match either", hosts[i], hosts[j]))
				break
			}
		}
	}
	return errs
}

// hostsOverlap reports whether one host name pattern matches the other:
// equal, or a wildcard ("*.example.com", "*") whose suffix the other ends in.
func hostsOverlap(a, b string) bool {
	aw, bw := strings.HasPrefix(a, "*"), strings.HasPrefix(b, "*")
	switch {
	case aw && bw:
		return strings.HasSuffix(a[1:], b[1:]) || strings.HasSuffix(b[1:], a[1:])
	case aw:
		return strings.HasSuffix(b, a[1:])
	case bw:
		return strings.HasSuffix(a, b[1:])
	}
	return a == b
}

// hostCovers reports whether every name host matches is also matched by
// pattern (an SNI host must fall under one of the VirtualService's hosts).
func hostCovers(pattern, host string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasPrefix(pattern, "*"):
		return strings.HasSuffix(strings.TrimPrefix(host, "*"), pattern[1:])
	}
	return host == pattern
}

// validateGatewayRefs checks gateway references: "mesh", a name, or
// namespace/name (the legacy name.namespace form is still a DNS name).
func validateGatewayRefs(p *field.Path, refs []string) field.ErrorList {
	var errs field.ErrorList
	for i, ref := range refs {
		errs = append(errs, validateGatewayRef(p.Index(i), ref)...)
	}
	return errs
}

func validateGatewayRef(p *field.Path, ref string) field.ErrorList {
	ns, name, found := strings.Cut(ref, "/")
	if !found {
		if ref == "" || !isDNSName(ref) {
			return field.ErrorList{invalid(p, ref, "invalid gateway %q: want namespace/name, a name, or mesh", ref)}
		}
		return nil
	}
	var errs field.ErrorList
	if ns == "" || name == "" {
		errs = append(errs, invalid(p, ref, "gateway %q needs both a namespace and a name", ref))
	}
	if !isDNSLabel(ns) {
		errs = append(errs, invalid(p, ref, "invalid namespace %q in gateway %q", ns, ref))
	}
	if !isDNSLabel(name) {
		errs = append(errs, invalid(p, ref, "invalid gateway name %q in %q", name, ref))
	}
	return errs
}

// isDNSName reports whether s is dot-separated DNS labels (a trailing dot
// allowed) whose last label is not all digits.
func isDNSName(s string) bool {
	labels := strings.Split(strings.TrimSuffix(s, "."), ".")
	if len(s) > 255 || strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return false
	}
	for _, l := range labels {
		if !isDNSLabel(l) {
			return false
		}
	}
	return true
}

// validateExportToSet refuses exportTo lists that say one thing twice
// ("." and the own namespace are the same) or mix "*" with anything; the
// mix is marked on the last entry.
func validateExportToSet(p *field.Path, namespace string, exportTo []string) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, e := range exportTo {
		key := e
		if e == "." {
			key = namespace
		}
		if seen[key] {
			errs = append(errs, duplicate(p.Index(i), e, "exportTo lists %q twice", e))
		}
		seen[key] = true
	}
	if last := len(exportTo) - 1; seen["*"] && last > 0 {
		errs = append(errs, invalid(p.Index(last), exportTo[last], `"*" exports to every namespace: it cannot be combined with other exportTo entries`))
	}
	return errs
}
