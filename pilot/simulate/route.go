package simulate

import (
	"fmt"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// routed is the virtual host and route a request takes.
type routed struct {
	vh    *routev3.VirtualHost
	route *routev3.Route
}

// routeRequest picks the virtual host, then the route.
func routeRequest(rc *routev3.RouteConfiguration, req *Request, res *Result) (*routed, error) {
	vh, err := selectVirtualHost(rc, req.Authority, res)
	if err != nil || res.Failure != nil {
		return nil, err
	}
	r, err := selectRoute(vh, req, res)
	if err != nil || res.Failure != nil {
		return nil, err
	}
	return &routed{vh: vh, route: r}, nil
}

// selectRoute: routes are tried in order and the first whose match holds
// takes the request (Envoy's route table is first-match, not best-match);
// none is 404 NR.
func selectRoute(vh *routev3.VirtualHost, req *Request, res *Result) (*routev3.Route, error) {
	for i, r := range vh.GetRoutes() {
		ok, err := routeMatches(r.GetMatch(), req)
		if err != nil {
			return nil, fmt.Errorf("virtual host %s route %s: %w", vh.GetName(), routeName(r, i), err)
		}
		if ok && runtimeFractionHolds(r, i, res) {
			res.Route = routeName(r, i)
			res.step("route", "%s (first match of %d routes)", res.Route, len(vh.GetRoutes()))
			return r, nil
		}
	}
	res.fail(404, "NR", "no route of virtual host %s matches %s %s", vh.GetName(), req.method(), req.Path)
	return nil, nil
}

// routeName is the route's name, or "#N" (its index) when unnamed.
func routeName(r *routev3.Route, i int) string {
	if r.GetName() != "" {
		return r.GetName()
	}
	return fmt.Sprintf("#%d", i)
}

// runtimeFractionHolds: a route with runtime_fraction matches only that
// share of the requests it would otherwise match. The simulator follows
// the matching share when there is one and says so in the trace; a 0%
// route never matches.
func runtimeFractionHolds(r *routev3.Route, i int, res *Result) bool {
	rf := r.GetMatch().GetRuntimeFraction()
	if rf == nil {
		return true
	}
	p := fraction(rf.GetDefaultValue())
	if p == 0 {
		res.step("route", "%s skipped: runtime_fraction 0%%", routeName(r, i))
		return false
	}
	if p < 1 {
		res.step("route", "%s matches only %s of such requests (runtime_fraction); the rest fall through to later routes", routeName(r, i), percentString(p))
	}
	return true
}

// routeMatches: every condition of the match must hold.
func routeMatches(m *routev3.RouteMatch, req *Request) (bool, error) {
	if err := unsupportedMatch(m); err != nil {
		return false, err
	}
	checks := []func(*routev3.RouteMatch, *Request) (bool, error){
		pathMatches, headersMatch, queryMatches, grpcMatches, tlsMatches,
	}
	for _, check := range checks {
		if ok, err := check(m, req); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

func unsupportedMatch(m *routev3.RouteMatch) error {
	switch {
	case len(m.GetDynamicMetadata()) > 0:
		return cannot("match.dynamic_metadata")
	case m.GetFilterState() != nil:
		return cannot("match.filter_state")
	case m.GetPathMatchPolicy() != nil:
		return cannot("match.path_match_policy %s", m.GetPathMatchPolicy().GetName())
	}
	return nil
}

// pathMatches applies the path specifier to the path without its query
// string. case_sensitive (default true) applies to prefix, path and
// path_separated_prefix; safe_regex must match the whole path.
func pathMatches(m *routev3.RouteMatch, req *Request) (bool, error) {
	path := req.pathOnly()
	fold := m.GetCaseSensitive() != nil && !m.GetCaseSensitive().GetValue()
	switch spec := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		return hasPrefix(path, spec.Prefix, fold), nil
	case *routev3.RouteMatch_Path:
		return equal(path, spec.Path, fold), nil
	case *routev3.RouteMatch_SafeRegex:
		return regexFullMatch(spec.SafeRegex.GetRegex(), path)
	case *routev3.RouteMatch_PathSeparatedPrefix:
		return separatedPrefix(path, spec.PathSeparatedPrefix, fold), nil
	case *routev3.RouteMatch_ConnectMatcher_:
		return req.method() == "CONNECT", nil
	}
	return false, cannot("match path specifier %T", m.GetPathSpecifier())
}

// separatedPrefix: the path is the prefix, or the prefix followed by "/"
// (the query string, the other allowed follower, is already cut).
func separatedPrefix(path, prefix string, fold bool) bool {
	if !hasPrefix(path, prefix, fold) {
		return false
	}
	return len(path) == len(prefix) || path[len(prefix)] == '/'
}

func hasPrefix(s, prefix string, fold bool) bool {
	if fold {
		return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
	}
	return strings.HasPrefix(s, prefix)
}

func equal(a, b string, fold bool) bool {
	if fold {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// headersMatch: every header matcher must hold.
func headersMatch(m *routev3.RouteMatch, req *Request) (bool, error) {
	for _, h := range m.GetHeaders() {
		if ok, err := headerMatches(h, req); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

// grpcMatches: a grpc match holds only for gRPC requests, told by their
// content-type.
func grpcMatches(m *routev3.RouteMatch, req *Request) (bool, error) {
	if m.GetGrpc() == nil {
		return true, nil
	}
	ct, _ := req.header("content-type")
	return strings.HasPrefix(ct, "application/grpc"), nil
}

// tlsMatches: tls_context asks whether the client presented (and had
// validated) a certificate; the simulator's mTLS clients do both.
func tlsMatches(m *routev3.RouteMatch, req *Request) (bool, error) {
	tc := m.GetTlsContext()
	if tc == nil {
		return true, nil
	}
	cert := req.hasClientCert()
	if tc.GetPresented() != nil && tc.GetPresented().GetValue() != cert {
		return false, nil
	}
	return tc.GetValidated() == nil || tc.GetValidated().GetValue() == cert, nil
}
