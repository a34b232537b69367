package validation

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"

	"github.com/weftmesh/weft/pilot/config"
)

// Validate checks one resource on its own, whatever its kind. Kubernetes
// objects (Service, Pod, ...) were validated by the API server or come from
// weft's own files as plain data, so they pass as they are. Every Istio
// kind, including those weft does not act on, gets the checks that hold
// for all specs (durations, enum values).
func Validate(r config.Resource) field.ErrorList {
	errs := append(validateMeta(r), validateDryRun(r)...)
	errs = append(errs, validateSpec(r)...)
	if spec := config.Spec(r); spec != nil {
		errs = append(errs, validateProto(field.NewPath("spec"), spec)...)
	}
	return errs
}

// validateMeta checks names as the API server would: in file mode nothing
// else does, and names end up in Envoy resource names.
func validateMeta(r config.Resource) field.ErrorList {
	p := field.NewPath("metadata")
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(r.GetName()) {
		errs = append(errs, invalid(p.Child("name"), r.GetName(), "invalid name %q: %s", r.GetName(), msg))
	}
	if ns := r.GetNamespace(); ns != "" {
		for _, msg := range validation.IsDNS1123Label(ns) {
			errs = append(errs, invalid(p.Child("namespace"), ns, "invalid namespace %q: %s", ns, msg))
		}
	}
	return errs
}

func validateSpec(r config.Resource) field.ErrorList {
	switch r := r.(type) {
	case *networkingv1.VirtualService:
		return ValidateVirtualService(r)
	case *networkingv1.DestinationRule:
		return ValidateDestinationRule(r)
	case *networkingv1.ServiceEntry:
		return ValidateServiceEntry(r)
	case *networkingv1.WorkloadEntry:
		return ValidateWorkloadEntry(r)
	case *networkingv1.WorkloadGroup:
		return ValidateWorkloadGroup(r)
	case *networkingv1.Sidecar:
		return ValidateSidecar(r)
	case *networkingv1.Gateway:
		return ValidateGateway(r)
	case *securityv1.PeerAuthentication:
		return ValidatePeerAuthentication(r)
	case *securityv1.AuthorizationPolicy:
		return ValidateAuthorizationPolicy(r)
	case *securityv1.RequestAuthentication:
		return ValidateRequestAuthentication(r)
	}
	return validateUnimplementedKind(r)
}

// ValidateSnapshot checks every resource of s, and the references between
// them, returning each problem with its origin, resource and field path.
func ValidateSnapshot(s *config.Snapshot) []*config.Error {
	subsets := indexSubsets(s)
	var out []*config.Error
	s.Each(func(o config.Object) {
		errs := Validate(o.Resource)
		if vs, ok := o.Resource.(*networkingv1.VirtualService); ok {
			errs = append(errs, validateSubsetRefs(vs, subsets)...)
		}
		out = append(out, ToConfigErrors(o, errs)...)
	})
	return out
}

// ToConfigErrors attaches o's origin and identity to field errors.
func ToConfigErrors(o config.Object, errs field.ErrorList) []*config.Error {
	out := make([]*config.Error, 0, len(errs))
	for _, e := range errs {
		ce := config.NewError(o.Origin, o.Key, e.Field, message(e))
		ce.Reason = reason(e)
		out = append(out, ce)
	}
	return out
}

// reason classifies a field error for status conditions.
func reason(e *field.Error) string {
	if e.Type == field.ErrorTypeNotFound && strings.HasSuffix(e.Field, ".subset") {
		return config.ReasonMissingSubset
	}
	return config.ReasonInvalid
}

// message is the error's own sentence when it has one; otherwise the
// generic "Invalid value: ..." form.
func message(e *field.Error) string {
	if e.Detail != "" {
		return e.Detail
	}
	return e.ErrorBody()
}

// AcceptSnapshot validates candidate and accepts it against prev (see
// config.Accept). Rolling a resource back can break references from
// resources that were fine (a VirtualService naming a subset that only the
// rejected DestinationRule defined), so it repeats until no new resource
// is rejected. It returns the accepted snapshot and every error found.
func AcceptSnapshot(prev, candidate *config.Snapshot) (*config.Snapshot, []*config.Error) {
	errs := ValidateSnapshot(candidate)
	seen := map[config.Key]bool{}
	for _, e := range errs {
		seen[e.Key()] = true
	}
	for {
		accepted := config.Accept(prev, candidate, errs)
		var added bool
		for _, e := range ValidateSnapshot(accepted) {
			if k := e.Key(); !seen[k] && e.Kind != "" {
				seen[k], added = true, true
				errs = append(errs, e)
			}
		}
		if !added {
			return accepted, errs
		}
	}
}

// subsetIndex maps each DestinationRule host (resolved to a FQDN) to the
// subset names the rules for it define.
type subsetIndex map[string]map[string]bool

func indexSubsets(s *config.Snapshot) subsetIndex {
	idx := subsetIndex{}
	for _, dr := range s.DestinationRules {
		host := config.ResolveHost(dr.Spec.GetHost(), dr.Namespace)
		if idx[host] == nil {
			idx[host] = map[string]bool{}
		}
		for _, sub := range dr.Spec.GetSubsets() {
			idx[host][sub.GetName()] = true
		}
	}
	return idx
}

// defines reports whether a DestinationRule for host defines subset. Rules
// for the exact host are preferred; only without one do wildcard rules
// (*.example.com) apply, as in Istio.
func (idx subsetIndex) defines(host, subset string) bool {
	if subsets, ok := idx[host]; ok {
		return subsets[subset]
	}
	for pattern, subsets := range idx {
		if matchesWildcard(pattern, host) && subsets[subset] {
			return true
		}
	}
	return false
}

func matchesWildcard(pattern, host string) bool {
	if pattern == "*" {
		return true
	}
	return strings.HasPrefix(pattern, "*.") && strings.HasSuffix(host, pattern[1:])
}

// validateSubsetRefs reports every destination of vs naming a subset that
// no DestinationRule for its host defines: Envoy would get a route to a
// cluster that does not exist and answer 503.
func validateSubsetRefs(vs *networkingv1.VirtualService, idx subsetIndex) field.ErrorList {
	var errs field.ErrorList
	check := func(p *field.Path, d *networking.Destination) {
		subset := d.GetSubset()
		if subset == "" {
			return
		}
		host := config.ResolveHost(d.GetHost(), vs.Namespace)
		if !idx.defines(host, subset) {
			e := field.NotFound(p.Child("subset"), subset)
			e.Detail = fmt.Sprintf("subset %q is not defined by any DestinationRule for host %s", subset, host)
			errs = append(errs, e)
		}
	}
	forEachDestination(vs, check)
	return errs
}

// forEachDestination calls fn with the path and value of every
// destination of vs: routes, mirrors, TCP and TLS routes. A destination
// left out is passed as nil (the getters read nil as empty).
func forEachDestination(vs *networkingv1.VirtualService, fn func(*field.Path, *networking.Destination)) {
	p := field.NewPath("spec")
	for i, r := range vs.Spec.GetHttp() {
		hp := p.Child("http").Index(i)
		for j, d := range r.GetRoute() {
			fn(hp.Child("route").Index(j).Child("destination"), d.GetDestination())
		}
		if r.GetMirror() != nil {
			fn(hp.Child("mirror"), r.GetMirror())
		}
		for j, m := range r.GetMirrors() {
			fn(hp.Child("mirrors").Index(j).Child("destination"), m.GetDestination())
		}
	}
	forEachL4Destination(p.Child("tcp"), vs.Spec.GetTcp(), fn)
	forEachL4Destination(p.Child("tls"), vs.Spec.GetTls(), fn)
}

// l4Route is what TCP and TLS routes have in common.
type l4Route interface {
	GetRoute() []*networking.RouteDestination
}

// forEachL4Destination visits the destinations of TCP or TLS routes.
func forEachL4Destination[R l4Route](p *field.Path, routes []R, fn func(*field.Path, *networking.Destination)) {
	for i, r := range routes {
		for j, d := range r.GetRoute() {
			fn(p.Index(i).Child("route").Index(j).Child("destination"), d.GetDestination())
		}
	}
}
