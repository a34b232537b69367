package simulate

import (
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// hcmHost is the Host / :authority after the manager's own edits, which
// happen before routing and reach the upstream too: strip_trailing_host_dot,
// then strip_any_host_port or strip_matching_host_port (the latter only
// when the port is the listener's).
func hcmHost(hcm *hcmv3.HttpConnectionManager, req *Request) string {
	host := req.Authority
	if hcm.GetStripTrailingHostDot() {
		host = stripTrailingDot(host)
	}
	if hcm.GetStripAnyHostPort() {
		host, _ = splitHostPort(host)
	} else if hcm.GetStripMatchingHostPort() {
		if h, port := splitHostPort(host); port == strconv.FormatUint(uint64(req.DestPort), 10) {
			host = h
		}
	}
	return host
}

// splitHostPort splits a numeric port off host; an IPv6 literal keeps its
// brackets and is only split after "]".
func splitHostPort(host string) (string, string) {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || i < strings.LastIndexByte(host, ']') {
		return host, ""
	}
	if _, err := strconv.ParseUint(host[i+1:], 10, 32); err != nil {
		return host, ""
	}
	return host[:i], host[i+1:]
}

// stripTrailingDot removes the dot of a fully qualified name, before the
// port when there is one.
func stripTrailingDot(host string) string {
	h, port := splitHostPort(host)
	h = strings.TrimSuffix(h, ".")
	if port == "" {
		return h
	}
	return h + ":" + port
}

// selectVirtualHost follows VirtualHost.domains' documented search order:
// exact domains, then suffix wildcards (*.foo.com), then prefix wildcards
// (foo.*), each wildcard class longest first, then "*". A wildcard never
// matches an empty string. Domains and host compare case-insensitively;
// the host's port takes part unless the route config sets
// ignore_port_in_host_matching.
func selectVirtualHost(rc *routev3.RouteConfiguration, host string, res *Result) (*routev3.VirtualHost, error) {
	if rc.GetVhds() != nil {
		return nil, cannot("route config %s vhds (on-demand virtual hosts)", rc.GetName())
	}
	host = strings.ToLower(host)
	if rc.GetIgnorePortInHostMatching() {
		host, _ = splitHostPort(host)
	}
	vh, domain := bestVirtualHost(rc.GetVirtualHosts(), host)
	if vh == nil {
		res.fail(404, "NR", "no virtual host in %q matches host %q", rc.GetName(), host)
		return nil, nil
	}
	res.VirtualHost = vh.GetName()
	res.step("virtual-host", "%s (domain %q matches host %q)", vh.GetName(), domain, host)
	return vh, nil
}

// bestVirtualHost returns the virtual host whose domain ranks first for
// host, with that domain.
func bestVirtualHost(vhs []*routev3.VirtualHost, host string) (*routev3.VirtualHost, string) {
	var best *routev3.VirtualHost
	var bestDomain string
	bestRank := domainRank{}
	for _, vh := range vhs {
		for _, d := range vh.GetDomains() {
			r := rankDomain(strings.ToLower(d), host)
			if r.better(bestRank) {
				best, bestDomain, bestRank = vh, d, r
			}
		}
	}
	return best, bestDomain
}

// domainRank orders a domain's match of a host: class (0: no match,
// 4: exact, 3: suffix wildcard, 2: prefix wildcard, 1: "*"), then length.
type domainRank struct{ class, length int }

func (r domainRank) better(o domainRank) bool {
	return r.class > o.class || (r.class == o.class && r.length > o.length)
}

func rankDomain(domain, host string) domainRank {
	switch {
	case domain == host:
		return domainRank{4, len(domain)}
	case domain == "*":
		return domainRank{1, 1}
	case strings.HasPrefix(domain, "*"):
		if suffix := domain[1:]; len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
			return domainRank{3, len(domain)}
		}
	case strings.HasSuffix(domain, "*"):
		if prefix := domain[:len(domain)-1]; len(host) > len(prefix) && strings.HasPrefix(host, prefix) {
			return domainRank{2, len(domain)}
		}
	}
	return domainRank{}
}
