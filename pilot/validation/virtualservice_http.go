package validation

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/weftmesh/weft/pilot/mesh"
)

func validateHTTPRoute(p *field.Path, r *networking.HTTPRoute, delegate bool) field.ErrorList {
	errs := validateHTTPActions(p, r, delegate)
	for i, m := range r.GetMatch() {
		errs = append(errs, validateHTTPMatch(p.Child("match").Index(i), m)...)
	}
	errs = append(errs, validateHeaderOps(p.Child("headers"), r.GetHeaders())...)
	errs = append(errs, validateAuthorityOnce(p, r)...)
	errs = append(errs, validateCors(p.Child("corsPolicy"), r.GetCorsPolicy())...)
	errs = append(errs, validateFault(p.Child("fault"), r.GetFault())...)
	errs = append(errs, validateMirrors(p, r)...)
	errs = append(errs, validateRedirect(p.Child("redirect"), r.GetRedirect(), r.GetMatch())...)
	errs = append(errs, validateDirectResponse(p.Child("directResponse"), r.GetDirectResponse())...)
	errs = append(errs, validateRetries(p.Child("retries"), r.GetRetries())...)
	errs = append(errs, validateRewrite(p.Child("rewrite"), r.GetRewrite())...)
	errs = append(errs, validateHTTPDestinations(p.Child("route"), r.GetRoute())...)
	if r.GetTimeout() != nil {
		errs = append(errs, validateProxyDuration(p.Child("timeout"), r.GetTimeout())...)
	}
	return errs
}

// validateHTTPActions checks what the route does with a request: a root
// route (one that delegates) does nothing else; otherwise exactly one of
// forward (route), redirect and directResponse, where fault and rewrite
// only make sense when forwarding.
func validateHTTPActions(p *field.Path, r *networking.HTTPRoute, delegate bool) field.ErrorList {
	var errs field.ErrorList
	if r.GetMirror() != nil && len(r.GetMirrors()) > 0 {
		errs = append(errs, field.Forbidden(p.Child("mirrors"), "mirror and mirrors are mutually exclusive"))
	}
	switch {
	case r.GetDelegate() != nil && delegate:
		errs = append(errs, field.Forbidden(p.Child("delegate"), "a delegate VirtualService cannot delegate again"))
	case r.GetDelegate() != nil:
		return append(errs, validateRootActions(p, r)...)
	}
	var answer string
	switch {
	case r.GetRedirect() != nil:
		answer = "redirect"
	case r.GetDirectResponse() != nil:
		answer = "directResponse"
	case len(r.GetRoute()) == 0:
		return append(errs, field.Required(p, "an http route needs one of route, redirect, directResponse or delegate"))
	default:
		return errs
	}
	for _, other := range []struct {
		name string
		set  bool
	}{{"route", len(r.GetRoute()) > 0}, {"fault", r.GetFault() != nil}, {"rewrite", r.GetRewrite() != nil}, {"directResponse", answer == "redirect" && r.GetDirectResponse() != nil}} {
		if !other.set {
			continue
		}
		// A route beside the answer is marked on the answer; anything
		// else on itself.
		mark := other.name
		if other.name == "route" {
			mark = answer
		}
		errs = append(errs, field.Forbidden(p.Child(mark), other.name+" cannot be combined with "+answer))
	}
	return errs
}

// validateRootActions refuses forwarding and redirecting in a route that
// delegates: the delegate VirtualService decides what happens.
func validateRootActions(p *field.Path, r *networking.HTTPRoute) field.ErrorList {
	var errs field.ErrorList
	if r.GetRedirect() != nil {
		errs = append(errs, field.Forbidden(p.Child("redirect"), "a route with delegate cannot redirect: the delegate VirtualService routes"))
	}
	if r.GetRoute() != nil {
		errs = append(errs, field.Forbidden(p.Child("route"), "a route with delegate cannot set route: the delegate VirtualService routes"))
	}
	return errs
}

// validateProxyDuration checks a duration Envoy is given: at least 1ms and
// whole milliseconds, as Istio requires.
func validateProxyDuration(p *field.Path, d *durationpb.Duration) field.ErrorList {
	v := d.AsDuration()
	switch {
	case v < 0:
		return nil // validateProto reports negative durations for every kind
	case v < time.Millisecond:
		return field.ErrorList{invalid(p, v.String(), "duration must be at least 1ms, got %s", v)}
	case v%time.Millisecond != 0:
		return field.ErrorList{invalid(p, v.String(), "duration must be whole milliseconds, got %s", v)}
	}
	return nil
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
		if d.GetDestination() == nil {
			errs = append(errs, field.Required(p.Index(i), "destination is required"))
			continue
		}
		errs = append(errs, validateDestination(p.Index(i).Child("destination"), d.GetDestination())...)
	}
	return append(errs, validateWeights(p, ws)...)
}

func validateHTTPDestinations(p *field.Path, route []*networking.HTTPRouteDestination) field.ErrorList {
	errs := validateDestinations(p, route)
	for i, d := range route {
		errs = append(errs, validateHeaderOps(p.Index(i).Child("headers"), d.GetHeaders())...)
	}
	return errs
}

// validateDestination checks a destination's host (a name, not "*"),
// subset name and port.
func validateDestination(p *field.Path, d *networking.Destination) field.ErrorList {
	var errs field.ErrorList
	switch h := d.GetHost(); h {
	case "":
		errs = append(errs, field.Required(p, "a destination needs a host"))
	case "*":
		errs = append(errs, invalid(p.Child("host"), h, `a destination host must name a service, not "*"`))
	default:
		errs = append(errs, validateHost(p.Child("host"), h)...)
	}
	if s := d.GetSubset(); s != "" && !isDNSLabel(s) {
		errs = append(errs, invalid(p.Child("subset"), s, "subset name %q must be a DNS label (letters, digits and '-')", s))
	}
	if d.GetPort() != nil {
		errs = append(errs, validatePort(p.Child("port", "number"), d.GetPort().GetNumber())...)
	}
	return errs
}

// validateRedirect checks a redirect says where to go, and how. port and
// derivePort are a oneof, so setting both is a decode error.
func validateRedirect(p *field.Path, r *networking.HTTPRedirect, matches []*networking.HTTPMatchRequest) field.ErrorList {
	if r == nil {
		return nil
	}
	var errs field.ErrorList
	if r.GetUri() != "" && r.GetPrefixRewrite() != "" {
		errs = append(errs, field.Forbidden(p.Child("prefixRewrite"), "uri and prefixRewrite are mutually exclusive"))
	}
	if r.GetPrefixRewrite() != "" && !allURIMatchesPrefix(matches) {
		errs = append(errs, field.Forbidden(p.Child("prefixRewrite"), "prefixRewrite replaces the matched prefix, so every uri match of the route must be a prefix match"))
	}
	if r.GetUri() == "" && r.GetPrefixRewrite() == "" && r.GetAuthority() == "" && r.GetRedirectPort() == nil && r.GetScheme() == "" {
		errs = append(errs, field.Required(p, "a redirect needs at least one of uri, prefixRewrite, authority, scheme, port or derivePort"))
	}
	if c := r.GetRedirectCode(); c != 0 && (c < 300 || c > 399) {
		errs = append(errs, invalid(p.Child("redirectCode"), c, "redirect code must be 3xx, got %d", c))
	}
	errs = append(errs, oneOf(p.Child("scheme"), r.GetScheme(), "http", "https")...)
	errs = append(errs, validateNoControl(p.Child("uri"), r.GetUri())...)
	errs = append(errs, validateNoControl(p.Child("prefixRewrite"), r.GetPrefixRewrite())...)
	errs = append(errs, validateNoControl(p.Child("authority"), r.GetAuthority())...)
	return append(errs, validateOptionalPort(p.Child("port"), r.GetPort())...)
}

func allURIMatchesPrefix(matches []*networking.HTTPMatchRequest) bool {
	for _, m := range matches {
		if m.GetUri() != nil && m.GetUri().GetPrefix() == "" {
			return false
		}
	}
	return true
}

// validateDirectResponse checks the status and keeps bodies small: they
// are sent to every proxy inside the route configuration.
func validateDirectResponse(p *field.Path, r *networking.HTTPDirectResponse) field.ErrorList {
	if r == nil {
		return nil
	}
	var errs field.ErrorList
	if n := len(r.GetBody().GetString_()) + len(r.GetBody().GetBytes()); n > 1<<20 {
		errs = append(errs, invalid(p.Child("body"), n, "a direct response body must be under 1MB, got %d bytes", n))
	}
	return append(errs, validateHTTPStatus(p.Child("status"), int32(r.GetStatus()))...)
}

// validateHTTPStatus accepts 200-599. Istio lets 600 through, which Envoy
// then refuses (NACK), taking the whole route configuration down with it.
func validateHTTPStatus(p *field.Path, s int32) field.ErrorList {
	if s < 200 || s > 599 {
		return field.ErrorList{invalid(p, s, "HTTP status must be between 200 and 599, got %d", s)}
	}
	return nil
}

func validateRewrite(p *field.Path, r *networking.HTTPRewrite) field.ErrorList {
	if r == nil {
		return nil
	}
	errs := append(validateNoControl(p.Child("uri"), r.GetUri()), validateNoControl(p.Child("authority"), r.GetAuthority())...)
	errs = append(errs, validateNoControl(p.Child("uriRegexRewrite", "rewrite"), r.GetUriRegexRewrite().GetRewrite())...)
	return append(errs, validateRewriteForm(p, r)...)
}

// validateRewriteForm checks the rewrite says what to rewrite, one way.
func validateRewriteForm(p *field.Path, r *networking.HTTPRewrite) field.ErrorList {
	rr, rp := r.GetUriRegexRewrite(), p.Child("uriRegexRewrite")
	switch {
	case r.GetUri() != "" && rr != nil:
		return field.ErrorList{field.Forbidden(rp, "uri and uriRegexRewrite are mutually exclusive")}
	case r.GetUri() == "" && rr == nil && r.GetAuthority() == "":
		return field.ErrorList{field.Required(p, "a rewrite needs uri, uriRegexRewrite or authority")}
	case rr == nil:
		return nil
	case rr.GetMatch() == "" || rr.GetRewrite() == "":
		return field.ErrorList{field.Required(rp, "uriRegexRewrite needs both match and rewrite")}
	}
	return validateRegex(rp.Child("match"), rr.GetMatch())
}

// retryOnPolicies are Envoy's HTTP and gRPC retry conditions; retryOn may
// also list status codes.
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
	if r.GetAttempts() == 0 {
		errs = append(errs, validateRetriesDisabled(p, r)...)
	}
	if r.GetPerTryTimeout() != nil {
		errs = append(errs, validateProxyDuration(p.Child("perTryTimeout"), r.GetPerTryTimeout())...)
	}
	if r.GetBackoff() != nil {
		errs = append(errs, validateProxyDuration(p.Child("backoff"), r.GetBackoff())...)
	}
	for _, cond := range strings.Split(r.GetRetryOn(), ",") {
		cond = strings.TrimSpace(cond)
		if code, err := strconv.Atoi(cond); err == nil && http.StatusText(code) != "" {
			continue
		}
		if cond != "" && !slices.Contains(retryOnPolicies, cond) {
			errs = append(errs, invalid(p.Child("retryOn"), r.GetRetryOn(), "unknown retry condition %q (want e.g. 5xx, connect-failure, or a status code)", cond))
		}
	}
	return errs
}

// validateRetriesDisabled refuses retry settings beside attempts 0, which
// turns retries off: the settings would be silently ignored.
func validateRetriesDisabled(p *field.Path, r *networking.HTTPRetry) field.ErrorList {
	for _, f := range []struct {
		name string
		set  bool
	}{{"perTryTimeout", r.GetPerTryTimeout() != nil}, {"retryOn", r.GetRetryOn() != ""}, {"retryRemoteLocalities", r.GetRetryRemoteLocalities() != nil}} {
		if f.set {
			return field.ErrorList{field.Forbidden(p.Child(f.name), f.name+" has no effect: attempts is 0, which disables retries")}
		}
	}
	return nil
}

// grpcStatuses are the gRPC status names an abort may return.
var grpcStatuses = []string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
	"PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
	"UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}

// validateFault checks fault injection. A delay without fixedDelay or an
// abort without an error type is accepted and ignored, as Istio does.
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
		errs = append(errs, validateFaultPercentage(dp.Child("percentage"), d.GetPercentage())...)
		//lint:ignore SA1019 percent is deprecated but still honoured
		errs = append(errs, validateIntPercent(dp.Child("percent"), d.GetPercent())...)
		if d.GetFixedDelay() != nil {
			errs = append(errs, validateProxyDuration(dp.Child("fixedDelay"), d.GetFixedDelay())...)
		}
		if d.GetExponentialDelay() != nil {
			errs = append(errs, field.Forbidden(dp.Child("exponentialDelay"), "exponentialDelay is not supported; use fixedDelay"))
		}
	}
	if a := f.GetAbort(); a != nil {
		errs = append(errs, validateAbort(p.Child("abort"), a)...)
	}
	return errs
}

func validateAbort(p *field.Path, a *networking.HTTPFaultInjection_Abort) field.ErrorList {
	errs := validateFaultPercentage(p.Child("percentage"), a.GetPercentage())
	switch et := a.GetErrorType().(type) {
	case *networking.HTTPFaultInjection_Abort_HttpStatus:
		errs = append(errs, validateHTTPStatus(p.Child("httpStatus"), et.HttpStatus)...)
	case *networking.HTTPFaultInjection_Abort_GrpcStatus:
		if !slices.Contains(grpcStatuses, et.GrpcStatus) {
			errs = append(errs, invalid(p.Child("grpcStatus"), et.GrpcStatus, "unknown gRPC status %q, want a status name such as NOT_FOUND or UNAVAILABLE", et.GrpcStatus))
		}
	case *networking.HTTPFaultInjection_Abort_Http2Error:
		errs = append(errs, field.Forbidden(p.Child("http2Error"), "http2Error is not supported; use httpStatus or grpcStatus"))
	}
	return errs
}

// validateFaultPercentage checks a fault percentage: 0, or between 0.0001
// (the finest fraction Envoy takes) and 100.
func validateFaultPercentage(p *field.Path, pct *networking.Percent) field.ErrorList {
	if v := pct.GetValue(); v < 0 || v > 100 || (v > 0 && v < 0.0001) {
		return field.ErrorList{invalid(p.Child("value"), v, "percentage must be 0 or between 0.0001 and 100, got %v", v)}
	}
	return nil
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
	}
	for i, m := range r.GetMirrors() {
		mp := p.Child("mirrors").Index(i)
		if m.GetDestination() == nil {
			errs = append(errs, field.Required(mp, "a mirror needs a destination"))
			continue
		}
		errs = append(errs, validateDestination(mp.Child("destination"), m.GetDestination())...)
		errs = append(errs, validatePercent(mp.Child("percentage"), m.GetPercentage())...)
	}
	//lint:ignore SA1019 mirrorPercent is deprecated but still honoured
	if mp := r.GetMirrorPercent(); mp != nil && mp.GetValue() > 100 {
		errs = append(errs, invalid(p.Child("mirrorPercent"), mp.GetValue(), "mirrorPercent must be between 0 and 100, got %d", mp.GetValue()))
	}
	return append(errs, validatePercent(p.Child("mirrorPercentage"), r.GetMirrorPercentage())...)
}
