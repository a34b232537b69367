package validation

import (
	"regexp"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// headerNameRE is an HTTP header name: RFC 7230 token characters.
var headerNameRE = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~A-Za-z0-9]+$")

// pseudoHeaders are the HTTP/2 pseudo-headers a route may match on.
var pseudoHeaders = []string{":method", ":scheme", ":authority", ":path", ":status"}

// jwtClaimPrefix starts a header match on a JWT claim
// (@request.auth.claims.groups or @request.auth.claims[groups]), which
// only gateways evaluate.
const jwtClaimPrefix = "@request.auth.claims"

func isJWTClaimRoute(name string) bool {
	rest, ok := strings.CutPrefix(strings.ToLower(name), jwtClaimPrefix)
	if !ok {
		return false
	}
	return (strings.HasPrefix(rest, ".") && len(rest) > 1) ||
		(strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]") && len(rest) > 2)
}

func validateHTTPMatch(p *field.Path, m *networking.HTTPMatchRequest) field.ErrorList {
	var errs field.ErrorList
	for _, sm := range []struct {
		name string
		m    *networking.StringMatch
	}{{"uri", m.GetUri()}, {"scheme", m.GetScheme()}, {"method", m.GetMethod()}, {"authority", m.GetAuthority()}} {
		switch {
		case sm.m == nil:
		case sm.m.GetMatchType() == nil:
			errs = append(errs, field.Required(p.Child(sm.name), "one of exact, prefix or regex is required"))
		case sm.name == "uri":
			// An empty uri prefix matches every path, which Envoy accepts.
			errs = append(errs, validateMatchRegex(p.Child(sm.name), sm.m)...)
		default:
			errs = append(errs, validateMatchNonEmpty(p.Child(sm.name), sm.m)...)
		}
	}
	errs = append(errs, validateHeaderMatches(p.Child("headers"), m.GetHeaders(), false)...)
	errs = append(errs, validateHeaderMatches(p.Child("withoutHeaders"), m.GetWithoutHeaders(), true)...)
	for _, k := range sortedKeys(m.GetQueryParams()) {
		errs = append(errs, validateMatchNonEmpty(p.Child("queryParams").Key(k), m.GetQueryParams()[k])...)
	}
	errs = append(errs, validateOptionalPort(p.Child("port"), m.GetPort())...)
	errs = append(errs, validateLabels(p.Child("sourceLabels"), m.GetSourceLabels())...)
	errs = append(errs, validateGatewayRefs(p.Child("gateways"), m.GetGateways())...)
	if ns := m.GetSourceNamespace(); ns != "" && !isDNSLabel(ns) {
		errs = append(errs, invalid(p.Child("sourceNamespace"), ns, "sourceNamespace %q is not a namespace name", ns))
	}
	return errs
}

// validateHeaderMatches checks header names and their matches; in
// withoutHeaders, regex "*" means "header absent" and is not a regex.
func validateHeaderMatches(p *field.Path, ms map[string]*networking.StringMatch, without bool) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(ms) {
		hp := p.Key(name)
		switch {
		case name == "":
			errs = append(errs, field.Required(p, "header names must not be empty"))
			continue
		case !isJWTClaimRoute(name) && !isPseudoHeader(name) && !headerNameRE.MatchString(name):
			errs = append(errs, invalid(hp, name, "%q is not a valid HTTP header name", name))
		}
		if !without || ms[name].GetRegex() != "*" {
			errs = append(errs, validateMatchNonEmpty(hp, ms[name])...)
		}
	}
	return errs
}

func isPseudoHeader(name string) bool {
	for _, h := range pseudoHeaders {
		if name == h {
			return true
		}
	}
	return false
}

// validateMatchNonEmpty refuses an empty prefix or regex (an empty prefix
// would match everything, which is what leaving the match out says) and
// checks a regex compiles.
func validateMatchNonEmpty(p *field.Path, m *networking.StringMatch) field.ErrorList {
	if mt, ok := m.GetMatchType().(*networking.StringMatch_Prefix); ok && mt.Prefix == "" {
		return field.ErrorList{field.Required(p.Child("prefix"), "a prefix match must not be empty")}
	}
	return validateMatchRegex(p, m)
}

// validateMatchRegex checks a regex match is set and compiles (RE2, as
// Envoy), and is not so long that Envoy's program size limit would refuse it.
func validateMatchRegex(p *field.Path, m *networking.StringMatch) field.ErrorList {
	mt, ok := m.GetMatchType().(*networking.StringMatch_Regex)
	if !ok {
		return nil
	}
	rp := p.Child("regex")
	switch {
	case mt.Regex == "":
		return field.ErrorList{field.Required(rp, "a regex match must not be empty")}
	case len(mt.Regex) > 1024:
		return field.ErrorList{invalid(rp, len(mt.Regex), "a regex may be at most 1024 characters long, got %d", len(mt.Regex))}
	}
	return validateRegex(rp, mt.Regex)
}

// validateNoJWTClaimRoutes refuses matches on JWT claims in a
// VirtualService that sidecars apply: only gateways have the claims.
func validateNoJWTClaimRoutes(p *field.Path, spec *networking.VirtualService) field.ErrorList {
	var errs field.ErrorList
	for i, r := range spec.GetHttp() {
		for j, m := range r.GetMatch() {
			mp := p.Child("http").Index(i).Child("match").Index(j)
			errs = append(errs, jwtClaimKeys(mp.Child("headers"), m.GetHeaders())...)
			errs = append(errs, jwtClaimKeys(mp.Child("withoutHeaders"), m.GetWithoutHeaders())...)
		}
	}
	return errs
}

func jwtClaimKeys(p *field.Path, ms map[string]*networking.StringMatch) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(ms) {
		if isJWTClaimRoute(name) {
			errs = append(errs, field.Forbidden(p.Key(name), "routing on JWT claims ("+name+") only works on gateways: bind the VirtualService to gateways, not to mesh"))
		}
	}
	return errs
}

func validateTCPRoute(p *field.Path, r *networking.TCPRoute) field.ErrorList {
	var errs field.ErrorList
	for i, m := range r.GetMatch() {
		mp := p.Child("match").Index(i)
		errs = append(errs, validateSubnets(mp.Child("destinationSubnets"), m.GetDestinationSubnets())...)
		errs = append(errs, validateOptionalPort(mp.Child("port"), m.GetPort())...)
		errs = append(errs, validateLabels(mp.Child("sourceLabels"), m.GetSourceLabels())...)
		errs = append(errs, validateGatewayRefs(mp.Child("gateways"), m.GetGateways())...)
	}
	return append(errs, validateL4Route(p, r.GetRoute())...)
}

func validateL4Route(p *field.Path, route []*networking.RouteDestination) field.ErrorList {
	var errs field.ErrorList
	if len(route) == 0 {
		errs = append(errs, field.Required(p, "a tcp or tls route needs at least one destination in route"))
	}
	return append(errs, validateDestinations(p.Child("route"), route)...)
}

// validateSubnets checks destination subnets: IP addresses or CIDR blocks.
func validateSubnets(p *field.Path, subnets []string) field.ErrorList {
	var errs field.ErrorList
	for i, s := range subnets {
		errs = append(errs, validateIPOrCIDR(p.Index(i), s)...)
	}
	return errs
}

func validateTLSRoute(p *field.Path, r *networking.TLSRoute, spec *networking.VirtualService) field.ErrorList {
	var errs field.ErrorList
	if len(r.GetMatch()) == 0 {
		errs = append(errs, field.Required(p, "a tls route needs at least one match"))
	}
	for i, m := range r.GetMatch() {
		errs = append(errs, validateTLSMatch(p.Child("match").Index(i), m, spec)...)
	}
	return append(errs, validateL4Route(p, r.GetRoute())...)
}

func validateTLSMatch(p *field.Path, m *networking.TLSMatchAttributes, spec *networking.VirtualService) field.ErrorList {
	var errs field.ErrorList
	if len(m.GetSniHosts()) == 0 {
		errs = append(errs, field.Required(p, "a tls match needs at least one sniHosts entry"))
	}
	for i, h := range m.GetSniHosts() {
		errs = append(errs, validateSNIHost(p.Child("sniHosts").Index(i), h, spec.GetHosts())...)
	}
	errs = append(errs, validateSubnets(p.Child("destinationSubnets"), m.GetDestinationSubnets())...)
	errs = append(errs, validateOptionalPort(p.Child("port"), m.GetPort())...)
	errs = append(errs, validateLabels(p.Child("sourceLabels"), m.GetSourceLabels())...)
	return append(errs, validateGatewayRefs(p.Child("gateways"), m.GetGateways())...)
}

// validateSNIHost checks an SNI host is a host name that one of the
// VirtualService's hosts covers: the route is only reached through them.
// An IP address is let through (clients rarely send one, but may).
func validateSNIHost(p *field.Path, sni string, hosts []string) field.ErrorList {
	if isIP(sni) {
		return nil
	}
	if errs := validateHost(p, sni); len(errs) > 0 {
		return errs
	}
	for _, h := range hosts {
		if hostCovers(h, sni) {
			return nil
		}
	}
	return field.ErrorList{invalid(p, sni, "SNI host %q is not covered by any of the VirtualService's hosts (%s)", sni, strings.Join(hosts, ", "))}
}
