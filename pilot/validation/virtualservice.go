package validation

//lint:file-ignore SA1019 Istio still honours its deprecated fields (fault.delay.percent, mirrorPercent, LEAST_CONN, consecutiveErrors, minimumRingSize), and so must weft.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/weftmesh/weft/pilot/mesh"
)

// ValidateVirtualService checks one VirtualService on its own; references
// to other resources (subsets) are checked by ValidateSnapshot.
func ValidateVirtualService(vs *networkingv1.VirtualService) field.ErrorList {
	spec, p := &vs.Spec, field.NewPath("spec")
	errs := validateVSHosts(p, spec)
	errs = append(errs, validateExportTo(p.Child("exportTo"), spec.GetExportTo())...)
	for i, r := range spec.GetHttp() {
		errs = append(errs, validateHTTPRoute(p.Child("http").Index(i), r)...)
	}
	for i, r := range spec.GetTcp() {
		rp := p.Child("tcp").Index(i)
		errs = append(errs, validateL4Matches(rp.Child("match"), r.GetMatch())...)
		errs = append(errs, validateL4Route(rp.Child("route"), r.GetRoute())...)
	}
	for i, r := range spec.GetTls() {
		errs = append(errs, validateTLSRoute(p.Child("tls").Index(i), r)...)
	}
	if len(spec.GetHttp())+len(spec.GetTcp())+len(spec.GetTls()) == 0 {
		errs = append(errs, field.Required(p.Child("http"), "a VirtualService needs at least one http, tcp or tls route"))
	}
	return errs
}

// validateVSHosts requires hosts; "*" would capture all mesh traffic, so
// Istio allows it only for VirtualServices bound to gateways alone.
func validateVSHosts(p *field.Path, spec *networking.VirtualService) field.ErrorList {
	if len(spec.GetHosts()) == 0 {
		return field.ErrorList{field.Required(p.Child("hosts"), "hosts must not be empty")}
	}
	var errs field.ErrorList
	mesh := len(spec.GetGateways()) == 0 || slices.Contains(spec.GetGateways(), "mesh")
	for i, h := range spec.GetHosts() {
		hp := p.Child("hosts").Index(i)
		errs = append(errs, validateHost(hp, h)...)
		if h == "*" && mesh {
			errs = append(errs, invalid(hp, h, `host "*" is not allowed for VirtualServices bound to the mesh gateway`))
		}
	}
	return errs
}

func validateHTTPRoute(p *field.Path, r *networking.HTTPRoute) field.ErrorList {
	var errs field.ErrorList
	for i, m := range r.GetMatch() {
		errs = append(errs, validateHTTPMatch(p.Child("match").Index(i), m)...)
	}
	errs = append(errs, validateHTTPActions(p, r)...)
	errs = append(errs, validateHTTPDestinations(p.Child("route"), r.GetRoute())...)
	errs = append(errs, validateRedirect(p.Child("redirect"), r.GetRedirect())...)
	errs = append(errs, validateDirectResponse(p.Child("directResponse"), r.GetDirectResponse())...)
	errs = append(errs, validateRewrite(p.Child("rewrite"), r.GetRewrite())...)
	errs = append(errs, validateRetries(p.Child("retries"), r.GetRetries())...)
	errs = append(errs, validateFault(p.Child("fault"), r.GetFault())...)
	errs = append(errs, validateMirrors(p, r)...)
	return append(errs, validateCors(p.Child("corsPolicy"), r.GetCorsPolicy())...)
}

func validateHTTPMatch(p *field.Path, m *networking.HTTPMatchRequest) field.ErrorList {
	var errs field.ErrorList
	for _, sm := range []struct {
		name string
		m    *networking.StringMatch
	}{{"uri", m.GetUri()}, {"scheme", m.GetScheme()}, {"method", m.GetMethod()}, {"authority", m.GetAuthority()}} {
		if sm.m != nil {
			errs = append(errs, validateStringMatch(p.Child(sm.name), sm.m, false)...)
		}
	}
	errs = append(errs, validateStringMatchMap(p.Child("headers"), m.GetHeaders())...)
	errs = append(errs, validateStringMatchMap(p.Child("queryParams"), m.GetQueryParams())...)
	errs = append(errs, validateStringMatchMap(p.Child("withoutHeaders"), m.GetWithoutHeaders())...)
	errs = append(errs, validateOptionalPort(p.Child("port"), m.GetPort())...)
	return append(errs, validateLabels(p.Child("sourceLabels"), m.GetSourceLabels())...)
}

// validateHTTPActions checks the route has exactly one action: forward
// (route), redirect, directResponse or delegate; and that rewrite is only
// combined with forwarding.
func validateHTTPActions(p *field.Path, r *networking.HTTPRoute) field.ErrorList {
	var set []string
	for _, a := range []struct {
		name string
		set  bool
	}{{"route", len(r.GetRoute()) > 0}, {"redirect", r.GetRedirect() != nil}, {"directResponse", r.GetDirectResponse() != nil}, {"delegate", r.GetDelegate() != nil}} {
		if a.set {
			set = append(set, a.name)
		}
	}
	var errs field.ErrorList
	switch {
	case len(set) == 0:
		errs = append(errs, field.Required(p.Child("route"), "one of route, redirect, directResponse or delegate is required"))
	case len(set) > 1:
		errs = append(errs, field.Forbidden(p.Child(set[1]), fmt.Sprintf("%s cannot be combined with %s", set[1], set[0])))
	}
	if r.GetRewrite() != nil && (r.GetRedirect() != nil || r.GetDirectResponse() != nil) {
		other := "redirect"
		if r.GetRedirect() == nil {
			other = "directResponse"
		}
		errs = append(errs, field.Forbidden(p.Child("rewrite"), "rewrite cannot be combined with "+other))
	}
	return errs
}

// validateWeights reports the weight rules mesh.CheckWeights finds broken
// as field errors; the rules themselves live with the IR's weights.
func validateWeights(p *field.Path, weights []int32) field.ErrorList {
	var errs field.ErrorList
	for _, pr := range mesh.CheckWeights(weights) {
		switch pr.Kind {
		case mesh.NegativeWeight:
			w := weights[pr.Index]
			errs = append(errs, invalid(p.Index(pr.Index).Child("weight"), w, "weight must not be negative, got %d", w))
		case mesh.AllWeightsZero:
			errs = append(errs, invalid(p, "all 0", "all %d destination weights are 0, so no destination would receive traffic: give at least one a weight above 0", len(weights)))
		}
	}
	return errs
}

// weighted is what HTTP and L4 route destinations have in common.
type weighted interface {
	GetDestination() *networking.Destination
	GetWeight() int32
}

// validateDestinations checks each destination and the weights among them.
func validateDestinations[D weighted](p *field.Path, route []D) field.ErrorList {
	var errs field.ErrorList
	ws := make([]int32, len(route))
	for i, d := range route {
		ws[i] = d.GetWeight()
		errs = append(errs, validateDestination(p.Index(i).Child("destination"), d.GetDestination())...)
	}
	return append(errs, validateWeights(p, ws)...)
}

func validateHTTPDestinations(p *field.Path, route []*networking.HTTPRouteDestination) field.ErrorList {
	return validateDestinations(p, route)
}

func validateL4Route(p *field.Path, route []*networking.RouteDestination) field.ErrorList {
	var errs field.ErrorList
	if len(route) == 0 {
		errs = append(errs, field.Required(p, "route must have at least one destination"))
	}
	return append(errs, validateDestinations(p, route)...)
}

// validateDestination checks a destination; a missing one (nil) is
// reported as a missing host.
func validateDestination(p *field.Path, d *networking.Destination) field.ErrorList {
	errs := validateHost(p.Child("host"), d.GetHost())
	if d.GetPort() != nil {
		errs = append(errs, validatePort(p.Child("port").Child("number"), d.GetPort().GetNumber())...)
	}
	return errs
}

func validateL4Matches(p *field.Path, ms []*networking.L4MatchAttributes) field.ErrorList {
	var errs field.ErrorList
	for i, m := range ms {
		mp := p.Index(i)
		for j, s := range m.GetDestinationSubnets() {
			errs = append(errs, validateIPOrCIDR(mp.Child("destinationSubnets").Index(j), s)...)
		}
		errs = append(errs, validateOptionalPort(mp.Child("port"), m.GetPort())...)
		errs = append(errs, validateLabels(mp.Child("sourceLabels"), m.GetSourceLabels())...)
	}
	return errs
}

func validateTLSRoute(p *field.Path, r *networking.TLSRoute) field.ErrorList {
	var errs field.ErrorList
	if len(r.GetMatch()) == 0 {
		errs = append(errs, field.Required(p.Child("match"), "a tls route needs at least one match"))
	}
	for i, m := range r.GetMatch() {
		mp := p.Child("match").Index(i)
		if len(m.GetSniHosts()) == 0 {
			errs = append(errs, field.Required(mp.Child("sniHosts"), "sniHosts must not be empty"))
		}
		for j, h := range m.GetSniHosts() {
			errs = append(errs, validateHost(mp.Child("sniHosts").Index(j), h)...)
		}
		for j, s := range m.GetDestinationSubnets() {
			errs = append(errs, validateIPOrCIDR(mp.Child("destinationSubnets").Index(j), s)...)
		}
		errs = append(errs, validateOptionalPort(mp.Child("port"), m.GetPort())...)
	}
	return append(errs, validateL4Route(p.Child("route"), r.GetRoute())...)
}

// validateRedirect checks the port and code; port and derivePort are a
// oneof, so setting both is a decode error.
func validateRedirect(p *field.Path, r *networking.HTTPRedirect) field.ErrorList {
	if r == nil {
		return nil
	}
	errs := validateOptionalPort(p.Child("port"), r.GetPort())
	if c := r.GetRedirectCode(); c != 0 && (c < 300 || c > 399) {
		errs = append(errs, invalid(p.Child("redirectCode"), c, "redirect code must be 3xx, got %d", c))
	}
	return errs
}

// validateDirectResponse checks the status; body string and bytes are a
// oneof, so setting both is a decode error.
func validateDirectResponse(p *field.Path, r *networking.HTTPDirectResponse) field.ErrorList {
	if r == nil {
		return nil
	}
	if s := r.GetStatus(); s < 200 || s > 599 {
		return field.ErrorList{invalid(p.Child("status"), s, "status must be between 200 and 599, got %d", s)}
	}
	return nil
}

func validateRewrite(p *field.Path, r *networking.HTTPRewrite) field.ErrorList {
	if r.GetUriRegexRewrite() == nil {
		return nil
	}
	rp := p.Child("uriRegexRewrite")
	var errs field.ErrorList
	if r.GetUri() != "" {
		errs = append(errs, field.Forbidden(rp, "uri and uriRegexRewrite are mutually exclusive"))
	}
	match := r.GetUriRegexRewrite().GetMatch()
	if match == "" {
		return append(errs, field.Required(rp.Child("match"), "a regex to match is required"))
	}
	return append(errs, validateRegex(rp.Child("match"), match)...)
}

// retryOnPolicies are Envoy's HTTP and gRPC retry conditions; retryOn may
// also list plain status codes.
var retryOnPolicies = []string{
	"5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited",
	"retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers",
	"http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
}

func validateRetries(p *field.Path, r *networking.HTTPRetry) field.ErrorList {
	if r == nil {
		return nil
	}
	var errs field.ErrorList
	if a := r.GetAttempts(); a < 0 {
		errs = append(errs, invalid(p.Child("attempts"), a, "attempts must not be negative, got %d", a))
	}
	for _, cond := range strings.Split(r.GetRetryOn(), ",") {
		cond = strings.TrimSpace(cond)
		if code, err := strconv.Atoi(cond); err == nil && code >= 100 && code <= 599 {
			continue
		}
		if cond != "" && !slices.Contains(retryOnPolicies, cond) {
			errs = append(errs, invalid(p.Child("retryOn"), r.GetRetryOn(), "unknown retry condition %q (want e.g. 5xx, connect-failure, or a status code)", cond))
		}
	}
	return errs
}

func validateFault(p *field.Path, f *networking.HTTPFaultInjection) field.ErrorList {
	if f == nil {
		return nil
	}
	if f.GetDelay() == nil && f.GetAbort() == nil {
		return field.ErrorList{field.Required(p, "fault needs a delay or an abort")}
	}
	var errs field.ErrorList
	if d := f.GetDelay(); d != nil {
		dp := p.Child("delay")
		if d.GetHttpDelayType() == nil {
			errs = append(errs, field.Required(dp.Child("fixedDelay"), "a delay needs fixedDelay"))
		}
		errs = append(errs, validatePercent(dp.Child("percentage"), d.GetPercentage())...)
		errs = append(errs, validateIntPercent(dp.Child("percent"), d.GetPercent())...)
	}
	if a := f.GetAbort(); a != nil {
		errs = append(errs, validateAbort(p.Child("abort"), a)...)
	}
	return errs
}

// validateAbort needs one error type (a oneof, so at most one is set) and
// an HTTP status that is one.
func validateAbort(p *field.Path, a *networking.HTTPFaultInjection_Abort) field.ErrorList {
	var errs field.ErrorList
	switch et := a.GetErrorType().(type) {
	case nil:
		errs = append(errs, field.Required(p.Child("httpStatus"), "an abort needs httpStatus or grpcStatus"))
	case *networking.HTTPFaultInjection_Abort_HttpStatus:
		if s := et.HttpStatus; s < 200 || s > 599 {
			errs = append(errs, invalid(p.Child("httpStatus"), s, "httpStatus must be between 200 and 599, got %d", s))
		}
	}
	return append(errs, validatePercent(p.Child("percentage"), a.GetPercentage())...)
}

func validateIntPercent(p *field.Path, pct int32) field.ErrorList {
	if pct < 0 || pct > 100 {
		return field.ErrorList{invalid(p, pct, "percent must be between 0 and 100, got %d", pct)}
	}
	return nil
}

func validateMirrors(p *field.Path, r *networking.HTTPRoute) field.ErrorList {
	var errs field.ErrorList
	if r.GetMirror() != nil {
		errs = append(errs, validateDestination(p.Child("mirror"), r.GetMirror())...)
		if len(r.GetMirrors()) > 0 {
			errs = append(errs, field.Forbidden(p.Child("mirrors"), "mirror and mirrors are mutually exclusive"))
		}
	}
	for i, m := range r.GetMirrors() {
		mp := p.Child("mirrors").Index(i)
		errs = append(errs, validateDestination(mp.Child("destination"), m.GetDestination())...)
		errs = append(errs, validatePercent(mp.Child("percentage"), m.GetPercentage())...)
	}
	if mp := r.GetMirrorPercent(); mp != nil && mp.GetValue() > 100 {
		errs = append(errs, invalid(p.Child("mirrorPercent"), mp.GetValue(), "mirrorPercent must be between 0 and 100, got %d", mp.GetValue()))
	}
	return append(errs, validatePercent(p.Child("mirrorPercentage"), r.GetMirrorPercentage())...)
}

// validateCors checks allowOrigins; unmatchedPreflights is an enum the
// decoder has already checked.
func validateCors(p *field.Path, c *networking.CorsPolicy) field.ErrorList {
	var errs field.ErrorList
	for i, o := range c.GetAllowOrigins() {
		errs = append(errs, validateStringMatch(p.Child("allowOrigins").Index(i), o, false)...)
	}
	return errs
}
