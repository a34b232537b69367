package validation

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
	"github.com/weftmesh/weft/pilot/mesh"
)

// ValidateVirtualService checks one VirtualService on its own; references
// to other resources (subsets) are checked by ValidateSnapshot.
func ValidateVirtualService(vs *networkingv1.VirtualService) field.ErrorList {
	spec, p := &vs.Spec, field.NewPath("spec")
	errs := validateVSHosts(p, spec)
	errs = append(errs, validateExportTo(p.Child("exportTo"), spec.ExportTo)...)
	for i := range spec.HTTP {
		errs = append(errs, validateHTTPRoute(p.Child("http").Index(i), &spec.HTTP[i])...)
	}
	for i, r := range spec.TCP {
		rp := p.Child("tcp").Index(i)
		errs = append(errs, validateL4Matches(rp.Child("match"), r.Match)...)
		errs = append(errs, validateL4Route(rp.Child("route"), r.Route)...)
	}
	for i, r := range spec.TLS {
		errs = append(errs, validateTLSRoute(p.Child("tls").Index(i), r)...)
	}
	if len(spec.HTTP)+len(spec.TCP)+len(spec.TLS) == 0 {
		errs = append(errs, field.Required(p.Child("http"), "a VirtualService needs at least one http, tcp or tls route"))
	}
	return append(errs, validateDurations(p, spec)...)
}

// validateVSHosts requires hosts; "*" would capture all mesh traffic, so
// Istio allows it only for VirtualServices bound to gateways alone.
func validateVSHosts(p *field.Path, spec *networkingv1.VirtualServiceSpec) field.ErrorList {
	if len(spec.Hosts) == 0 {
		return field.ErrorList{field.Required(p.Child("hosts"), "hosts must not be empty")}
	}
	var errs field.ErrorList
	mesh := len(spec.Gateways) == 0 || slices.Contains(spec.Gateways, "mesh")
	for i, h := range spec.Hosts {
		hp := p.Child("hosts").Index(i)
		errs = append(errs, validateHost(hp, h)...)
		if h == "*" && mesh {
			errs = append(errs, invalid(hp, h, `host "*" is not allowed for VirtualServices bound to the mesh gateway`))
		}
	}
	return errs
}

func validateHTTPRoute(p *field.Path, r *networkingv1.HTTPRoute) field.ErrorList {
	var errs field.ErrorList
	for i := range r.Match {
		errs = append(errs, validateHTTPMatch(p.Child("match").Index(i), &r.Match[i])...)
	}
	errs = append(errs, validateHTTPActions(p, r)...)
	errs = append(errs, validateHTTPDestinations(p.Child("route"), r.Route)...)
	errs = append(errs, validateRedirect(p.Child("redirect"), r.Redirect)...)
	errs = append(errs, validateDirectResponse(p.Child("directResponse"), r.DirectResponse)...)
	errs = append(errs, validateRewrite(p.Child("rewrite"), r.Rewrite)...)
	errs = append(errs, validateRetries(p.Child("retries"), r.Retries)...)
	errs = append(errs, validateFault(p.Child("fault"), r.Fault)...)
	errs = append(errs, validateMirrors(p, r)...)
	return append(errs, validateCors(p.Child("corsPolicy"), r.CorsPolicy)...)
}

func validateHTTPMatch(p *field.Path, m *networkingv1.HTTPMatchRequest) field.ErrorList {
	var errs field.ErrorList
	for _, sm := range []struct {
		name string
		m    *networkingv1.StringMatch
	}{{"uri", m.URI}, {"scheme", m.Scheme}, {"method", m.Method}, {"authority", m.Authority}} {
		if sm.m != nil {
			errs = append(errs, validateStringMatch(p.Child(sm.name), *sm.m, false)...)
		}
	}
	errs = append(errs, validateStringMatchMap(p.Child("headers"), m.Headers)...)
	errs = append(errs, validateStringMatchMap(p.Child("queryParams"), m.QueryParams)...)
	errs = append(errs, validateStringMatchMap(p.Child("withoutHeaders"), m.WithoutHeaders)...)
	errs = append(errs, validateOptionalPort(p.Child("port"), m.Port)...)
	return append(errs, validateLabels(p.Child("sourceLabels"), m.SourceLabels)...)
}

// validateHTTPActions checks the route has exactly one action: forward
// (route), redirect, directResponse or delegate; and that rewrite is only
// combined with forwarding.
func validateHTTPActions(p *field.Path, r *networkingv1.HTTPRoute) field.ErrorList {
	var set []string
	for _, a := range []struct {
		name string
		set  bool
	}{{"route", len(r.Route) > 0}, {"redirect", r.Redirect != nil}, {"directResponse", r.DirectResponse != nil}, {"delegate", r.Delegate != nil}} {
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
	if r.Rewrite != nil && (r.Redirect != nil || r.DirectResponse != nil) {
		other := "redirect"
		if r.Redirect == nil {
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

func validateHTTPDestinations(p *field.Path, route []networkingv1.HTTPRouteDestination) field.ErrorList {
	var errs field.ErrorList
	ws := make([]int32, len(route))
	for i, d := range route {
		ws[i] = d.Weight
		errs = append(errs, validateDestination(p.Index(i).Child("destination"), d.Destination)...)
	}
	return append(errs, validateWeights(p, ws)...)
}

func validateL4Route(p *field.Path, route []networkingv1.RouteDestination) field.ErrorList {
	var errs field.ErrorList
	if len(route) == 0 {
		errs = append(errs, field.Required(p, "route must have at least one destination"))
	}
	ws := make([]int32, len(route))
	for i, d := range route {
		ws[i] = d.Weight
		errs = append(errs, validateDestination(p.Index(i).Child("destination"), d.Destination)...)
	}
	return append(errs, validateWeights(p, ws)...)
}

func validateDestination(p *field.Path, d networkingv1.Destination) field.ErrorList {
	errs := validateHost(p.Child("host"), d.Host)
	if d.Port != nil {
		errs = append(errs, validatePort(p.Child("port").Child("number"), d.Port.Number)...)
	}
	return errs
}

func validateL4Matches(p *field.Path, ms []networkingv1.L4MatchAttributes) field.ErrorList {
	var errs field.ErrorList
	for i, m := range ms {
		mp := p.Index(i)
		for j, s := range m.DestinationSubnets {
			errs = append(errs, validateIPOrCIDR(mp.Child("destinationSubnets").Index(j), s)...)
		}
		errs = append(errs, validateOptionalPort(mp.Child("port"), m.Port)...)
		errs = append(errs, validateLabels(mp.Child("sourceLabels"), m.SourceLabels)...)
	}
	return errs
}

func validateTLSRoute(p *field.Path, r networkingv1.TLSRoute) field.ErrorList {
	var errs field.ErrorList
	if len(r.Match) == 0 {
		errs = append(errs, field.Required(p.Child("match"), "a tls route needs at least one match"))
	}
	for i, m := range r.Match {
		mp := p.Child("match").Index(i)
		if len(m.SniHosts) == 0 {
			errs = append(errs, field.Required(mp.Child("sniHosts"), "sniHosts must not be empty"))
		}
		for j, h := range m.SniHosts {
			errs = append(errs, validateHost(mp.Child("sniHosts").Index(j), h)...)
		}
		for j, s := range m.DestinationSubnets {
			errs = append(errs, validateIPOrCIDR(mp.Child("destinationSubnets").Index(j), s)...)
		}
		errs = append(errs, validateOptionalPort(mp.Child("port"), m.Port)...)
	}
	return append(errs, validateL4Route(p.Child("route"), r.Route)...)
}

func validateRedirect(p *field.Path, r *networkingv1.HTTPRedirect) field.ErrorList {
	if r == nil {
		return nil
	}
	errs := validateOptionalPort(p.Child("port"), r.Port)
	errs = append(errs, oneOf(p.Child("derivePort"), r.DerivePort, "FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT")...)
	if r.Port != 0 && r.DerivePort != "" {
		errs = append(errs, field.Forbidden(p.Child("derivePort"), "port and derivePort are mutually exclusive"))
	}
	if r.RedirectCode != 0 && (r.RedirectCode < 300 || r.RedirectCode > 399) {
		errs = append(errs, invalid(p.Child("redirectCode"), r.RedirectCode, "redirect code must be 3xx, got %d", r.RedirectCode))
	}
	return errs
}

func validateDirectResponse(p *field.Path, r *networkingv1.HTTPDirectResponse) field.ErrorList {
	if r == nil {
		return nil
	}
	var errs field.ErrorList
	if r.Status < 200 || r.Status > 599 {
		errs = append(errs, invalid(p.Child("status"), r.Status, "status must be between 200 and 599, got %d", r.Status))
	}
	if r.Body != nil && r.Body.String != "" && len(r.Body.Bytes) > 0 {
		errs = append(errs, field.Forbidden(p.Child("body").Child("bytes"), "body string and bytes are mutually exclusive"))
	}
	return errs
}

func validateRewrite(p *field.Path, r *networkingv1.HTTPRewrite) field.ErrorList {
	if r == nil || r.URIRegexRewrite == nil {
		return nil
	}
	rp := p.Child("uriRegexRewrite")
	var errs field.ErrorList
	if r.URI != "" {
		errs = append(errs, field.Forbidden(rp, "uri and uriRegexRewrite are mutually exclusive"))
	}
	if r.URIRegexRewrite.Match == "" {
		return append(errs, field.Required(rp.Child("match"), "a regex to match is required"))
	}
	return append(errs, validateRegex(rp.Child("match"), r.URIRegexRewrite.Match)...)
}

// retryOnPolicies are Envoy's HTTP and gRPC retry conditions; retryOn may
// also list plain status codes.
var retryOnPolicies = []string{
	"5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited",
	"retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers",
	"http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
}

func validateRetries(p *field.Path, r *networkingv1.HTTPRetry) field.ErrorList {
	if r == nil {
		return nil
	}
	var errs field.ErrorList
	if r.Attempts < 0 {
		errs = append(errs, invalid(p.Child("attempts"), r.Attempts, "attempts must not be negative, got %d", r.Attempts))
	}
	for _, cond := range strings.Split(r.RetryOn, ",") {
		cond = strings.TrimSpace(cond)
		if code, err := strconv.Atoi(cond); err == nil && code >= 100 && code <= 599 {
			continue
		}
		if cond != "" && !slices.Contains(retryOnPolicies, cond) {
			errs = append(errs, invalid(p.Child("retryOn"), r.RetryOn, "unknown retry condition %q (want e.g. 5xx, connect-failure, or a status code)", cond))
		}
	}
	return errs
}

func validateFault(p *field.Path, f *networkingv1.HTTPFaultInjection) field.ErrorList {
	if f == nil {
		return nil
	}
	if f.Delay == nil && f.Abort == nil {
		return field.ErrorList{field.Required(p, "fault needs a delay or an abort")}
	}
	var errs field.ErrorList
	if d := f.Delay; d != nil {
		dp := p.Child("delay")
		if d.FixedDelay == nil && d.ExponentialDelay == nil {
			errs = append(errs, field.Required(dp.Child("fixedDelay"), "a delay needs fixedDelay"))
		}
		errs = append(errs, validatePercent(dp.Child("percentage"), d.Percentage)...)
		errs = append(errs, validateIntPercent(dp.Child("percent"), d.Percent)...)
	}
	if a := f.Abort; a != nil {
		errs = append(errs, validateAbort(p.Child("abort"), a)...)
	}
	return errs
}

func validateAbort(p *field.Path, a *networkingv1.FaultAbort) field.ErrorList {
	var errs field.ErrorList
	switch {
	case a.HTTPStatus == 0 && a.GRPCStatus == "" && a.HTTP2Error == "":
		errs = append(errs, field.Required(p.Child("httpStatus"), "an abort needs httpStatus or grpcStatus"))
	case a.HTTPStatus != 0 && (a.HTTPStatus < 200 || a.HTTPStatus > 599):
		errs = append(errs, invalid(p.Child("httpStatus"), a.HTTPStatus, "httpStatus must be between 200 and 599, got %d", a.HTTPStatus))
	}
	return append(errs, validatePercent(p.Child("percentage"), a.Percentage)...)
}

func validateIntPercent(p *field.Path, pct int32) field.ErrorList {
	if pct < 0 || pct > 100 {
		return field.ErrorList{invalid(p, pct, "percent must be between 0 and 100, got %d", pct)}
	}
	return nil
}

func validateMirrors(p *field.Path, r *networkingv1.HTTPRoute) field.ErrorList {
	var errs field.ErrorList
	if r.Mirror != nil {
		errs = append(errs, validateDestination(p.Child("mirror"), *r.Mirror)...)
		if len(r.Mirrors) > 0 {
			errs = append(errs, field.Forbidden(p.Child("mirrors"), "mirror and mirrors are mutually exclusive"))
		}
	}
	for i, m := range r.Mirrors {
		mp := p.Child("mirrors").Index(i)
		errs = append(errs, validateDestination(mp.Child("destination"), m.Destination)...)
		errs = append(errs, validatePercent(mp.Child("percentage"), m.Percentage)...)
	}
	if r.MirrorPercent != nil && *r.MirrorPercent > 100 {
		errs = append(errs, invalid(p.Child("mirrorPercent"), *r.MirrorPercent, "mirrorPercent must be between 0 and 100, got %d", *r.MirrorPercent))
	}
	return append(errs, validatePercent(p.Child("mirrorPercentage"), r.MirrorPercentage)...)
}

func validateCors(p *field.Path, c *networkingv1.CorsPolicy) field.ErrorList {
	if c == nil {
		return nil
	}
	var errs field.ErrorList
	for i, o := range c.AllowOrigins {
		errs = append(errs, validateStringMatch(p.Child("allowOrigins").Index(i), o, false)...)
	}
	return append(errs, oneOf(p.Child("unmatchedPreflights"), c.UnmatchedPreflights, "UNSPECIFIED", "FORWARD", "IGNORE")...)
}
