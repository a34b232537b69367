package simulate

import (
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// redirectCodes maps RedirectAction.response_code; the default (the
// enum's zero) is 301.
var redirectCodes = map[routev3.RedirectAction_RedirectResponseCode]int{
	routev3.RedirectAction_MOVED_PERMANENTLY:  301,
	routev3.RedirectAction_FOUND:              302,
	routev3.RedirectAction_SEE_OTHER:          303,
	routev3.RedirectAction_TEMPORARY_REDIRECT: 307,
	routev3.RedirectAction_PERMANENT_REDIRECT: 308,
}

// redirectAction builds the Location Envoy answers with: scheme, host and
// port each replaced when the action says so and kept from the request
// otherwise, then the path (see redirectPath).
func redirectAction(r *routev3.RedirectAction, m *routev3.RouteMatch, req *Request, res *Result) error {
	scheme := redirectScheme(r, req)
	port := ""
	if r.GetPortRedirect() != 0 {
		port = ":" + itoa(r.GetPortRedirect())
	}
	host := r.GetHostRedirect()
	if host == "" {
		host = redirectRequestHost(req, scheme, port != "")
	}
	path, err := redirectPath(r, m, req)
	if err != nil {
		return err
	}
	res.Action.Redirect = &Redirect{Code: redirectCodes[r.GetResponseCode()], Location: scheme + "://" + host + port + path}
	res.step("action", "redirect %d to %s", res.Action.Redirect.Code, res.Action.Redirect.Location)
	return nil
}

func redirectScheme(r *routev3.RedirectAction, req *Request) string {
	switch {
	case r.GetSchemeRedirect() != "":
		return r.GetSchemeRedirect()
	case r.GetHttpsRedirect():
		return "https"
	}
	return req.scheme()
}

// redirectRequestHost keeps the request's host, dropping its port when the
// redirect names a new port, or when the scheme changes and the port was
// the old scheme's default (80 for http, 443 for https, judged by
// x-forwarded-proto).
func redirectRequestHost(req *Request, scheme string, newPort bool) string {
	host, port := splitHostPort(req.Authority)
	if port == "" {
		return req.Authority
	}
	proto := forwardedProto(req)
	defaultPort := (proto == "https" && port == "443") || (proto == "http" && port == "80")
	if newPort || (scheme != proto && defaultPort) {
		return host
	}
	return req.Authority
}

// forwardedProto is x-forwarded-proto as the manager sets it when absent:
// the downstream connection's scheme.
func forwardedProto(req *Request) string {
	if v, ok := req.Headers["x-forwarded-proto"]; ok {
		return v
	}
	return req.scheme()
}

// redirectPath: path_redirect replaces the path, keeping the request's
// query unless it carries its own; prefix_rewrite and regex_rewrite
// rewrite the request path as for forwarding; strip_query drops the query
// except one path_redirect carries.
func redirectPath(r *routev3.RedirectAction, m *routev3.RouteMatch, req *Request) (string, error) {
	path, rewritten, err := rewritePath(m, r.GetPrefixRewrite(), r.GetRegexRewrite(), req)
	if err != nil {
		return "", err
	}
	if !rewritten {
		path = req.Path
	}
	own := strings.Contains(r.GetPathRedirect(), "?")
	switch {
	case own:
		path = r.GetPathRedirect()
	case r.GetPathRedirect() != "":
		path = r.GetPathRedirect() + querySuffix(req.Path)
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if r.GetStripQuery() && !own {
		path, _, _ = strings.Cut(path, "?")
	}
	return path, nil
}

// querySuffix is path's "?query", or "" without one.
func querySuffix(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return path[i:]
	}
	return ""
}

// directResponseAction: Envoy answers with the status and body itself.
func directResponseAction(d *routev3.DirectResponseAction, res *Result) error {
	body, err := inlineBody(d.GetBody())
	if err != nil {
		return err
	}
	res.Action.DirectResponse = &DirectResponse{Status: int(d.GetStatus()), Body: body}
	res.step("action", "direct response %d", d.GetStatus())
	return nil
}

func inlineBody(ds *corev3.DataSource) (string, error) {
	switch spec := ds.GetSpecifier().(type) {
	case nil:
		return "", nil
	case *corev3.DataSource_InlineString:
		return spec.InlineString, nil
	case *corev3.DataSource_InlineBytes:
		return string(spec.InlineBytes), nil
	}
	return "", cannot("direct_response body %T (not inline)", ds.GetSpecifier())
}
