package simulate

import (
	"net/url"
	"strings"
)

// The request as the HTTP connection manager presents it to routes and
// filters: HTTP/2 pseudo-headers included, since Envoy represents every
// request (HTTP/1 too) with them; HTTP/1's Host is :authority.

// header returns a request header by lower-case name, with whether the
// request carries it.
func (r *Request) header(name string) (string, bool) {
	switch name {
	case ":authority":
		return r.Authority, r.Authority != ""
	case ":path":
		return r.Path, true
	case ":method":
		return r.method(), true
	case ":scheme":
		return r.scheme(), true
	case "content-type":
		if v, ok := r.Headers[name]; ok || r.Protocol != GRPC {
			return v, ok
		}
		return "application/grpc", true
	}
	v, ok := r.Headers[name]
	return v, ok
}

func (r *Request) method() string {
	if r.Method == "" {
		return "GET"
	}
	return r.Method
}

// scheme is what Envoy puts in :scheme for a request it receives: https
// over TLS, http otherwise.
func (r *Request) scheme() string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// pathOnly is the path without query string: routes and RBAC url_path
// match against it.
func (r *Request) pathOnly() string {
	p, _, _ := strings.Cut(r.Path, "?")
	return p
}

// queryParam returns the first value of a query parameter, decoded; a
// parameter without "=" has an empty value.
func (r *Request) queryParam(name string) (string, bool) {
	_, query, ok := strings.Cut(r.Path, "?")
	if !ok {
		return "", false
	}
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if unescape(k) == name {
			return unescape(v), true
		}
	}
	return "", false
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// hasClientCert: mTLS, where the client presented a certificate (and, in
// the mesh, Envoy validated it against the trust domain's roots).
func (r *Request) hasClientCert() bool {
	return r.TLS != nil && r.TLS.ClientID != ""
}
