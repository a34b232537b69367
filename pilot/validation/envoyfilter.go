package validation

import (
	networking "istio.io/api/networking/v1alpha3"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// hcmFilterNames are the names an http_connection_manager network filter
// goes by; only inside it are there HTTP filters (subFilter) to match.
var hcmFilterNames = []string{"envoy.filters.network.http_connection_manager", "envoy.http_connection_manager"}

// ValidateEnvoyFilter checks the structure of an EnvoyFilter as Istio
// does: every patch says what it applies to and how, and its match fits
// the kind of object patched. weft does not apply EnvoyFilters, so the
// Envoy config in patch values is not checked.
func ValidateEnvoyFilter(ef *networkingv1alpha3.EnvoyFilter) field.ErrorList {
	spec, p := &ef.Spec, field.NewPath("spec")
	var errs field.ErrorList
	if ws := spec.GetWorkloadSelector(); ws != nil {
		errs = append(errs, validateSelectorLabels(p.Child("workloadSelector").Child("labels"), ws.GetLabels())...)
	}
	for i, cp := range spec.GetConfigPatches() {
		errs = append(errs, validateConfigPatch(p.Child("configPatches").Index(i), cp)...)
	}
	return errs
}

// validateConfigPatch checks one patch; like Istio it stops at the first
// problem, since later checks assume the earlier parts are there.
func validateConfigPatch(p *field.Path, cp *networking.EnvoyFilter_EnvoyConfigObjectPatch) field.ErrorList {
	m := cp.GetMatch()
	if m.GetContext() == networking.EnvoyFilter_WAYPOINT {
		return nil // Istio does not check waypoint patches yet
	}
	patch := cp.GetPatch()
	switch {
	case cp.GetApplyTo() == networking.EnvoyFilter_INVALID:
		return field.ErrorList{field.Required(p, "a config patch needs applyTo")}
	case patch == nil:
		return field.ErrorList{field.Required(p, "a config patch needs a patch")}
	case patch.GetOperation() == networking.EnvoyFilter_Patch_INVALID:
		return field.ErrorList{field.Required(p.Child("patch"), "a patch needs an operation")}
	case patch.GetOperation() != networking.EnvoyFilter_Patch_REMOVE && patch.GetValue() == nil:
		return field.ErrorList{field.Required(p.Child("patch"), "a patch needs a value unless its operation is REMOVE")}
	}
	mp := p.Child("match")
	if v := m.GetProxy().GetProxyVersion(); v != "" && len(v) <= 1024 {
		if errs := validateRegex(mp.Child("proxy").Child("proxyVersion"), v); errs != nil {
			return errs
		}
	}
	return validatePatchMatch(mp, cp.GetApplyTo(), m)
}

// validatePatchMatch: a listener-class patch takes a listener match, a
// route-class one a routeConfiguration match, a cluster one a cluster
// match (or no object match at all).
func validatePatchMatch(p *field.Path, applyTo networking.EnvoyFilter_ApplyTo, m *networking.EnvoyFilter_EnvoyConfigObjectMatch) field.ErrorList {
	member := matchMember(m)
	if member == "" {
		return nil
	}
	var want string
	switch applyTo {
	case networking.EnvoyFilter_LISTENER, networking.EnvoyFilter_FILTER_CHAIN, networking.EnvoyFilter_NETWORK_FILTER, networking.EnvoyFilter_HTTP_FILTER:
		want = "listener"
	case networking.EnvoyFilter_ROUTE_CONFIGURATION, networking.EnvoyFilter_VIRTUAL_HOST, networking.EnvoyFilter_HTTP_ROUTE:
		want = "routeConfiguration"
	case networking.EnvoyFilter_CLUSTER:
		want = "cluster"
	default:
		return nil
	}
	if member != want {
		return field.ErrorList{invalid(p.Child(member), member, "applyTo %s needs a %s match, not %s", applyTo, want, member)}
	}
	if want == "listener" {
		return validateFilterMatch(p.Child("listener").Child("filterChain").Child("filter"), applyTo, m.GetListener().GetFilterChain().GetFilter())
	}
	return nil
}

// matchMember names the object match set in m, or "".
func matchMember(m *networking.EnvoyFilter_EnvoyConfigObjectMatch) string {
	switch m.GetObjectTypes().(type) {
	case *networking.EnvoyFilter_EnvoyConfigObjectMatch_Listener:
		return "listener"
	case *networking.EnvoyFilter_EnvoyConfigObjectMatch_RouteConfiguration:
		return "routeConfiguration"
	case *networking.EnvoyFilter_EnvoyConfigObjectMatch_Cluster:
		return "cluster"
	case *networking.EnvoyFilter_EnvoyConfigObjectMatch_Waypoint:
		return "waypoint"
	}
	return ""
}

// validateFilterMatch: a filter match needs a name, and a subFilter match
// only makes sense for HTTP filters inside the HTTP connection manager.
func validateFilterMatch(p *field.Path, applyTo networking.EnvoyFilter_ApplyTo, f *networking.EnvoyFilter_ListenerMatch_FilterMatch) field.ErrorList {
	if f == nil {
		return nil
	}
	if f.GetName() == "" {
		return field.ErrorList{field.Required(p, "a filter match needs a name")}
	}
	sub := f.GetSubFilter()
	switch {
	case sub == nil:
		return nil
	case applyTo != networking.EnvoyFilter_HTTP_FILTER:
		return field.ErrorList{field.Forbidden(p.Child("subFilter"), "a subFilter match needs applyTo HTTP_FILTER")}
	case f.GetName() != hcmFilterNames[0] && f.GetName() != hcmFilterNames[1]:
		return field.ErrorList{invalid(p.Child("name"), f.GetName(), "a subFilter match needs the filter %s", hcmFilterNames[0])}
	case sub.GetName() == "":
		return field.ErrorList{field.Required(p.Child("subFilter"), "a subFilter match needs a name")}
	}
	return nil
}
