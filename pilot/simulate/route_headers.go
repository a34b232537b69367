//lint:file-ignore SA1019 Envoy still honours the deprecated header matchers, and so must a simulator of Envoy.

package simulate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
)

// headerMatches follows HeaderMatcher. A header the request lacks matches
// only a present_match (true when inverted, false otherwise): inverting
// any other matcher does not make a missing header match, unless
// treat_missing_header_as_empty makes its value "".
//
// A proxyless gRPC client (grpc-go) differs on present_match: a header
// whose value is empty is absent (internal/xds/matcher HeaderPresentMatcher:
// present := ok && len(value) > 0), where Envoy counts it present.
func headerMatches(h *routev3.HeaderMatcher, req *Request) (bool, error) {
	value, ok := req.header(h.GetName())
	if _, isPresent := h.GetHeaderMatchSpecifier().(*routev3.HeaderMatcher_PresentMatch); isPresent && req.Target != "" && value == "" {
		ok = false
	}
	if !ok && !h.GetTreatMissingHeaderAsEmpty() {
		present, isPresent := h.GetHeaderMatchSpecifier().(*routev3.HeaderMatcher_PresentMatch)
		return isPresent && present.PresentMatch == h.GetInvertMatch(), nil
	}
	match, err := headerValueMatches(h, value)
	if err != nil {
		return false, fmt.Errorf("header %s: %w", h.GetName(), err)
	}
	return match != h.GetInvertMatch(), nil
}

// headerValueMatches applies the specifier to a header that is present (or
// treated as empty). No specifier is a presence match.
func headerValueMatches(h *routev3.HeaderMatcher, value string) (bool, error) {
	switch spec := h.GetHeaderMatchSpecifier().(type) {
	case nil:
		return true, nil
	case *routev3.HeaderMatcher_ExactMatch:
		return spec.ExactMatch == "" || value == spec.ExactMatch, nil
	case *routev3.HeaderMatcher_SafeRegexMatch:
		return regexFullMatch(spec.SafeRegexMatch.GetRegex(), value)
	case *routev3.HeaderMatcher_RangeMatch:
		return inRange(spec.RangeMatch, value), nil
	case *routev3.HeaderMatcher_PresentMatch:
		return spec.PresentMatch, nil
	case *routev3.HeaderMatcher_PrefixMatch:
		return strings.HasPrefix(value, spec.PrefixMatch), nil
	case *routev3.HeaderMatcher_SuffixMatch:
		return strings.HasSuffix(value, spec.SuffixMatch), nil
	case *routev3.HeaderMatcher_ContainsMatch:
		return strings.Contains(value, spec.ContainsMatch), nil
	case *routev3.HeaderMatcher_StringMatch:
		return stringMatches(spec.StringMatch, value)
	}
	return false, cannot("header matcher %T", h.GetHeaderMatchSpecifier())
}

// inRange: the value is an integer in [start, end).
func inRange(r *typev3.Int64Range, value string) bool {
	n, err := strconv.ParseInt(value, 10, 64)
	return err == nil && n >= r.GetStart() && n < r.GetEnd()
}

// stringMatches follows StringMatcher; ignore_case applies to all but
// safe_regex.
func stringMatches(m *matcherv3.StringMatcher, value string) (bool, error) {
	fold := m.GetIgnoreCase()
	switch spec := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return equal(value, spec.Exact, fold), nil
	case *matcherv3.StringMatcher_Prefix:
		return hasPrefix(value, spec.Prefix, fold), nil
	case *matcherv3.StringMatcher_Suffix:
		return hasSuffix(value, spec.Suffix, fold), nil
	case *matcherv3.StringMatcher_Contains:
		return contains(value, spec.Contains, fold), nil
	case *matcherv3.StringMatcher_SafeRegex:
		return regexFullMatch(spec.SafeRegex.GetRegex(), value)
	}
	return false, cannot("string matcher %T", m.GetMatchPattern())
}

func hasSuffix(s, suffix string, fold bool) bool {
	if fold {
		return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
	}
	return strings.HasSuffix(s, suffix)
}

func contains(s, sub string, fold bool) bool {
	if fold {
		return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
	}
	return strings.Contains(s, sub)
}

// regexFullMatch: Envoy's safe_regex (RE2) must match the whole value, not
// a substring. Go's regexp implements RE2 syntax.
func regexFullMatch(pattern, value string) (bool, error) {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		return false, cannot("regex %q: %v", pattern, err)
	}
	return re.MatchString(value), nil
}

// queryMatches: every query_parameters matcher must hold against the
// parameter's first value; a missing parameter never matches.
func queryMatches(m *routev3.RouteMatch, req *Request) (bool, error) {
	for _, q := range m.GetQueryParameters() {
		value, ok := req.queryParam(q.GetName())
		if !ok {
			return false, nil
		}
		if sm := q.GetStringMatch(); sm != nil {
			if match, err := stringMatches(sm, value); !match || err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// fraction is a FractionalPercent as a probability; a numerator above the
// denominator means always.
func fraction(fp *typev3.FractionalPercent) float64 {
	denominators := map[typev3.FractionalPercent_DenominatorType]float64{
		typev3.FractionalPercent_HUNDRED:      100,
		typev3.FractionalPercent_TEN_THOUSAND: 10000,
		typev3.FractionalPercent_MILLION:      1000000,
	}
	p := float64(fp.GetNumerator()) / denominators[fp.GetDenominator()]
	return min(p, 1)
}

func percentString(p float64) string {
	return strconv.FormatFloat(p*100, 'f', -1, 64) + "%"
}
