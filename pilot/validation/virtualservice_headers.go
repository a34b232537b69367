package validation

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateHeaderOps checks header manipulation. Envoy does not let routes
// change pseudo-headers or Host (the authority is rewritten through
// rewrite.authority or a request header set/add of host/:authority).
func validateHeaderOps(p *field.Path, h *networking.Headers) field.ErrorList {
	if h == nil {
		return nil
	}
	rq, rs := p.Child("request"), p.Child("response")
	var errs field.ErrorList
	errs = append(errs, validateHeaderWrites(rq.Child("set"), h.GetRequest().GetSet(), true)...)
	errs = append(errs, validateHeaderWrites(rq.Child("add"), h.GetRequest().GetAdd(), true)...)
	errs = append(errs, validateHeaderRemovals(rq.Child("remove"), h.GetRequest().GetRemove())...)
	errs = append(errs, validateHeaderWrites(rs.Child("set"), h.GetResponse().GetSet(), false)...)
	errs = append(errs, validateHeaderWrites(rs.Child("add"), h.GetResponse().GetAdd(), false)...)
	return append(errs, validateHeaderRemovals(rs.Child("remove"), h.GetResponse().GetRemove())...)
}

func validateHeaderWrites(p *field.Path, hs map[string]string, request bool) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(hs) {
		hp := p.Key(name)
		if request && isAuthorityHeader(name) {
			errs = append(errs, validateHeaderValue(hp, hs[name])...)
			continue
		}
		if e := checkWritableHeader(hp, name); e != nil {
			errs = append(errs, e)
		}
		errs = append(errs, validateHeaderValue(hp, hs[name])...)
	}
	return errs
}

func validateHeaderRemovals(p *field.Path, names []string) field.ErrorList {
	var errs field.ErrorList
	for i, name := range names {
		if e := checkWritableHeader(p.Index(i), name); e != nil {
			errs = append(errs, e)
		}
	}
	return errs
}

// checkWritableHeader refuses names Envoy does not let a route change.
func checkWritableHeader(p *field.Path, name string) *field.Error {
	switch {
	case name == "":
		return field.Required(p, "header names must not be empty")
	case strings.EqualFold(name, "host"):
		return invalid(p, name, "the Host header cannot be changed here; use rewrite.authority")
	case strings.HasPrefix(name, ":"):
		return invalid(p, name, "pseudo-header %q cannot be changed", name)
	case !headerValueRE.MatchString(name):
		// Envoy refuses the route (and with it every route of the port).
		// Other non-token characters (a space, "@") Istio accepts here, so
		// weft does too (tests/corpus lenient-header-names).
		return invalid(p, name, "%q is not a valid HTTP header name: it must not contain control characters such as CR, LF or NUL", name)
	}
	return nil
}

func isAuthorityHeader(name string) bool {
	return strings.EqualFold(name, "host") || strings.EqualFold(name, ":authority")
}

// validateAuthorityOnce refuses setting the authority twice (rewrite and
// request headers): only one can win, and which is not obvious.
func validateAuthorityOnce(p *field.Path, r *networking.HTTPRoute) field.ErrorList {
	set := r.GetRewrite().GetAuthority() != ""
	hp := p.Child("headers", "request")
	for _, op := range []struct {
		name string
		hs   map[string]string
	}{{"set", r.GetHeaders().GetRequest().GetSet()}, {"add", r.GetHeaders().GetRequest().GetAdd()}} {
		for _, name := range sortedKeys(op.hs) {
			if !isAuthorityHeader(name) {
				continue
			}
			if set {
				return field.ErrorList{field.Forbidden(hp.Child(op.name).Key(name), "the authority is already rewritten (rewrite.authority or another host/:authority header): set it once")}
			}
			set = true
		}
	}
	return nil
}

// headerValueRE refuses control characters other than tab in a value.
var headerValueRE = regexp.MustCompile("^[^\u0000-\u0008\u000A-\u001F\u007F]*$")

// validateNoControl refuses control characters (other than tab) in a
// string Envoy puts into a header or the path: Envoy refuses the route.
func validateNoControl(p *field.Path, v string) field.ErrorList {
	if !headerValueRE.MatchString(v) {
		return field.ErrorList{invalid(p, v, "must not contain control characters such as CR, LF or NUL")}
	}
	return nil
}

// validateHeaderValue checks a value Envoy will accept: no control
// characters, and "%" only as "%%" or around a %COMMAND% or
// %COMMAND(args)% expression.
func validateHeaderValue(p *field.Path, v string) field.ErrorList {
	if !headerValueRE.MatchString(v) {
		return field.ErrorList{invalid(p, v, "header values must not contain control characters")}
	}
	if err := checkHeaderFormat(v); err != nil {
		return field.ErrorList{invalid(p, v, "header value %q: %v (write a literal %% as %%%%)", v, err)}
	}
	return nil
}

// checkHeaderFormat scans v's %...% expressions. Arguments in
// parentheses may hold "%" and ")" inside JSON strings, so it tracks
// whether it is in a string.
func checkHeaderFormat(v string) error {
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			continue
		}
		if i+1 < len(v) && v[i+1] == '%' {
			i++
			continue
		}
		end, err := headerExprEnd(v, i+1)
		if err != nil {
			return err
		}
		i = end
	}
	return nil
}

// headerExprEnd returns the index of the "%" closing the expression whose
// name starts at start.
func headerExprEnd(v string, start int) (int, error) {
	for i := start; i < len(v); i++ {
		switch v[i] {
		case '%':
			return i, nil
		case '(':
			return headerArgsEnd(v, i+1)
		}
	}
	return 0, fmt.Errorf("unterminated %%...%% expression")
}

// headerArgsEnd skips COMMAND(...)'s arguments, then expects "%".
func headerArgsEnd(v string, start int) (int, error) {
	inString := false
	for i := start; i < len(v); i++ {
		switch c := v[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && c == ')':
			rest := strings.TrimLeft(v[i+1:], " ")
			if !strings.HasPrefix(rest, "%") {
				return 0, errors.New("expected % after the arguments of a %...% expression")
			}
			return len(v) - len(rest), nil
		}
	}
	return 0, fmt.Errorf("unterminated %%...%% expression")
}

// corsMethods are the methods CORS may allow ("*" for all).
var corsMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"}

func validateCors(p *field.Path, c *networking.CorsPolicy) field.ErrorList {
	if c == nil {
		return nil
	}
	var errs field.ErrorList
	for i, o := range c.GetAllowOrigins() {
		errs = append(errs, validateAllowOrigin(p.Child("allowOrigins").Index(i), o)...)
	}
	for i, m := range c.GetAllowMethods() {
		if !slices.Contains(corsMethods, m) {
			errs = append(errs, invalid(p.Child("allowMethods").Index(i), m, "unknown HTTP method %q, want one of %s", m, strings.Join(corsMethods, ", ")))
		}
	}
	errs = append(errs, validateCorsHeaders(p.Child("allowHeaders"), c.GetAllowHeaders())...)
	errs = append(errs, validateCorsHeaders(p.Child("exposeHeaders"), c.GetExposeHeaders())...)
	if ma := c.GetMaxAge(); ma != nil {
		errs = append(errs, validateProxyDuration(p.Child("maxAge"), ma)...)
		if ma.GetNanos() != 0 {
			errs = append(errs, invalid(p.Child("maxAge"), ma.AsDuration().String(), "maxAge is sent in whole seconds, got %s", ma.AsDuration()))
		}
	}
	return errs
}

// validateAllowOrigin needs a non-empty origin to compare with.
func validateAllowOrigin(p *field.Path, o *networking.StringMatch) field.ErrorList {
	var kind, value string
	switch mt := o.GetMatchType().(type) {
	case *networking.StringMatch_Exact:
		kind, value = "exact", mt.Exact
	case *networking.StringMatch_Prefix:
		kind, value = "prefix", mt.Prefix
	case *networking.StringMatch_Regex:
		kind, value = "regex", mt.Regex
	default:
		return field.ErrorList{field.Required(p, "an allowed origin needs exact, prefix or regex")}
	}
	if value == "" {
		return field.ErrorList{field.Required(p.Child(kind), "an allowed origin must not be empty")}
	}
	return validateMatchRegex(p, o)
}

func validateCorsHeaders(p *field.Path, names []string) field.ErrorList {
	var errs field.ErrorList
	for i, n := range names {
		if n != "*" && !headerNameRE.MatchString(n) {
			errs = append(errs, invalid(p.Index(i), n, "%q is not a valid HTTP header name", n))
		}
	}
	return errs
}
