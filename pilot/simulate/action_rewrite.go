package simulate

import (
	"regexp"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// setRewrites records the path and authority the upstream receives.
func setRewrites(a *routev3.RouteAction, m *routev3.RouteMatch, req *Request, res *Result) error {
	if a.GetPathRewritePolicy() != nil {
		return cannot("route %s path_rewrite_policy %s", res.Route, a.GetPathRewritePolicy().GetName())
	}
	path, rewritten, err := rewritePath(m, a.GetPrefixRewrite(), a.GetRegexRewrite(), req)
	if err != nil {
		return err
	}
	if rewritten {
		res.Action.RewritePath = path
		res.step("action", "path rewritten to %s", path)
	}
	return setAuthorityRewrite(a, res)
}

// setAuthorityRewrite: only a literal host rewrite is known before the
// request reaches an endpoint; the others depend on the endpoint or on
// request headers the simulator does not follow.
func setAuthorityRewrite(a *routev3.RouteAction, res *Result) error {
	switch spec := a.GetHostRewriteSpecifier().(type) {
	case nil:
		return nil
	case *routev3.RouteAction_HostRewriteLiteral:
		res.Action.RewriteAuthority = spec.HostRewriteLiteral
		res.step("action", "authority rewritten to %s", spec.HostRewriteLiteral)
		return nil
	}
	return cannot("route %s host rewrite %T", res.Route, a.GetHostRewriteSpecifier())
}

// rewritePath applies prefix_rewrite (the matched part of the path is
// replaced: the prefix for prefix routes, the whole path otherwise) or
// regex_rewrite (every match in the path is substituted). Both leave the
// query string as it was.
func rewritePath(m *routev3.RouteMatch, prefix string, rx *matcherv3.RegexMatchAndSubstitute, req *Request) (string, bool, error) {
	path, query, hasQuery := strings.Cut(req.Path, "?")
	switch {
	case prefix != "":
		path = prefix + path[matchedLength(m, path):]
	case rx != nil:
		re, err := regexp.Compile(rx.GetPattern().GetRegex())
		if err != nil {
			return "", false, cannot("regex_rewrite %q: %v", rx.GetPattern().GetRegex(), err)
		}
		path = re2GlobalReplace(re, path, rx.GetSubstitution())
	default:
		return "", false, nil
	}
	if hasQuery {
		path += "?" + query
	}
	return path, true, nil
}

// matchedLength is how much of path the route's path specifier matched.
func matchedLength(m *routev3.RouteMatch, path string) int {
	switch spec := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		return len(spec.Prefix)
	case *routev3.RouteMatch_PathSeparatedPrefix:
		return len(spec.PathSeparatedPrefix)
	}
	return len(path)
}

// re2GlobalReplace substitutes every match the way RE2's GlobalReplace
// does: \0-\9 name capture groups and \\ is a backslash.
func re2GlobalReplace(re *regexp.Regexp, s, sub string) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		b.WriteString(expandRE2(sub, s, m))
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func expandRE2(sub, s string, m []int) string {
	var b strings.Builder
	for i := 0; i < len(sub); i++ {
		if sub[i] != '\\' || i+1 == len(sub) {
			b.WriteByte(sub[i])
			continue
		}
		i++
		if d := int(sub[i] - '0'); d >= 0 && d <= 9 {
			if 2*d+1 < len(m) && m[2*d] >= 0 {
				b.WriteString(s[m[2*d]:m[2*d+1]])
			}
			continue
		}
		b.WriteByte(sub[i])
	}
	return b.String()
}
