package build

import (
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// RouteMatch converts one IR match; an absent URI matches every path.
func RouteMatch(m *mesh.Match, opts Options, deg *Degradations) *routev3.RouteMatch {
	rm := &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}
	if m == nil {
		return rm
	}
	if m.URI != nil {
		setPath(rm, *m.URI)
	}
	if m.IgnoreURICase {
		rm.CaseSensitive = wrapperspb.Bool(false)
	}
	for _, h := range m.Headers {
		rm.Headers = append(rm.Headers, HeaderMatcher(h))
	}
	if len(m.QueryParams) > 0 && opts.Proxyless {
		// grpc-go skips routes that carry query parameter matchers entirely.
		deg.Add("queryParams matches dropped: gRPC requests carry no query string")
	} else {
		for _, q := range m.QueryParams {
			rm.QueryParameters = append(rm.QueryParameters, &routev3.QueryParameterMatcher{
				Name:                         q.Name,
				QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: StringMatcher(q.Match)},
			})
		}
	}
	return rm
}

func setPath(rm *routev3.RouteMatch, uri mesh.StringMatch) {
	switch uri.Kind {
	case mesh.MatchExact:
		rm.PathSpecifier = &routev3.RouteMatch_Path{Path: uri.Value}
	case mesh.MatchPrefix:
		rm.PathSpecifier = &routev3.RouteMatch_Prefix{Prefix: uri.Value}
	case mesh.MatchRegex:
		rm.PathSpecifier = &routev3.RouteMatch_SafeRegex{SafeRegex: Regex(uri.Value)}
	}
}

// HeaderMatcher converts a header condition; pseudo-headers such as :method
// are ordinary names to Envoy.
func HeaderMatcher(h mesh.HeaderMatch) *routev3.HeaderMatcher {
	if h.Invert && h.Match.Kind == mesh.MatchRegex && h.Match.Value == ".*" {
		// withoutHeaders {name: {}}: "header absent". Envoy never matches an
		// inverted string matcher on a missing header, only an inverted
		// present_match, as Istio emits it.
		return &routev3.HeaderMatcher{Name: strings.ToLower(h.Name),
			HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}, InvertMatch: true}
	}
	return &routev3.HeaderMatcher{
		Name:                 strings.ToLower(h.Name),
		HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: StringMatcher(h.Match)},
		InvertMatch:          h.Invert,
	}
}

// StringMatcher converts one string condition.
func StringMatcher(s mesh.StringMatch) *matcherv3.StringMatcher {
	switch s.Kind {
	case mesh.MatchPrefix:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: s.Value}}
	case mesh.MatchRegex:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: Regex(s.Value)}}
	}
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s.Value}}
}

// Regex wraps an RE2 pattern; the engine is Envoy's default (Google RE2).
func Regex(pattern string) *matcherv3.RegexMatcher {
	return &matcherv3.RegexMatcher{Regex: pattern}
}
