package simulate

import (
	"net/netip"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacconfigv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
)

// rbac evaluates the filter's rules: a policy matches when any of its
// permissions and any of its principals match. ALLOW lets a request
// through only when some policy matches, DENY stops it when one does, LOG
// never stops it. No rules enforce nothing. A denial is 403 with flag RBAC.
func (hf httpFilter) rbac(req *Request, res *Result) error {
	rules, err := hf.rbacRules()
	if err != nil || rules == nil {
		res.decide(hf.f.GetName(), "pass (no rules)")
		return err
	}
	policy, err := firstMatchingPolicy(rules, req)
	if err != nil {
		return cannot("rbac filter %s: %v", hf.f.GetName(), err)
	}
	switch {
	case rules.GetAction() == rbacconfigv3.RBAC_ALLOW && policy == "":
		res.decide(hf.f.GetName(), "deny (no ALLOW policy matches)")
		res.fail(403, "RBAC", "rbac %s: no ALLOW policy matches", hf.f.GetName())
	case rules.GetAction() == rbacconfigv3.RBAC_DENY && policy != "":
		res.decide(hf.f.GetName(), "deny (policy %s)", policy)
		res.fail(403, "RBAC", "rbac %s: DENY policy %s matches", hf.f.GetName(), policy)
	default:
		res.decide(hf.f.GetName(), "allow (%s, matching policy %q)", rules.GetAction(), policy)
	}
	return nil
}

// rbacRules are the route's RBACPerRoute rules when it has some (an empty
// RBACPerRoute turns the filter off), else the filter's.
func (hf httpFilter) rbacRules() (*rbacconfigv3.RBAC, error) {
	cfg := &rbacv3.RBAC{}
	if hf.perRoute != nil {
		per := &rbacv3.RBACPerRoute{}
		if err := hf.perRoute.UnmarshalTo(per); err != nil {
			return nil, cannot("rbac filter %s per-route config: %v", hf.f.GetName(), err)
		}
		cfg = per.GetRbac()
	} else if err := hf.f.GetTypedConfig().UnmarshalTo(cfg); err != nil {
		return nil, cannot("rbac filter %s config: %v", hf.f.GetName(), err)
	}
	if cfg.GetMatcher() != nil {
		return nil, cannot("rbac filter %s matcher (the matcher API)", hf.f.GetName())
	}
	return cfg.GetRules(), nil
}

// firstMatchingPolicy names the first matching policy in name order (Envoy
// holds them sorted), or "" when none matches.
func firstMatchingPolicy(rules *rbacconfigv3.RBAC, req *Request) (string, error) {
	names := make([]string, 0, len(rules.GetPolicies()))
	for name := range rules.GetPolicies() {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		ok, err := policyMatches(rules.GetPolicies()[name], req)
		if err != nil || ok {
			return name, err
		}
	}
	return "", nil
}

func policyMatches(p *rbacconfigv3.Policy, req *Request) (bool, error) {
	if p.GetCondition() != nil || p.GetCheckedCondition() != nil {
		return false, cannot("rbac policy condition (CEL)")
	}
	perm, err := anyOf(p.GetPermissions(), req, permissionMatches)
	if err != nil || !perm {
		return false, err
	}
	return anyOf(p.GetPrincipals(), req, principalMatches)
}

func anyOf[T any](items []T, req *Request, match func(T, *Request) (bool, error)) (bool, error) {
	for _, it := range items {
		if ok, err := match(it, req); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

func allOf[T any](items []T, req *Request, match func(T, *Request) (bool, error)) (bool, error) {
	for _, it := range items {
		if ok, err := match(it, req); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

// permissionMatches follows Permission: what the request asks for.
func permissionMatches(p *rbacconfigv3.Permission, req *Request) (bool, error) {
	switch r := p.GetRule().(type) {
	case *rbacconfigv3.Permission_Any:
		return r.Any, nil
	case *rbacconfigv3.Permission_AndRules:
		return allOf(r.AndRules.GetRules(), req, permissionMatches)
	case *rbacconfigv3.Permission_OrRules:
		return anyOf(r.OrRules.GetRules(), req, permissionMatches)
	case *rbacconfigv3.Permission_NotRule:
		ok, err := permissionMatches(r.NotRule, req)
		return !ok, err
	case *rbacconfigv3.Permission_Header:
		return headerMatches(r.Header, req)
	case *rbacconfigv3.Permission_UrlPath:
		return stringMatches(r.UrlPath.GetPath(), req.pathOnly())
	case *rbacconfigv3.Permission_DestinationIp:
		return inCIDR(r.DestinationIp, req.DestIP), nil
	case *rbacconfigv3.Permission_DestinationPort:
		return r.DestinationPort == req.DestPort, nil
	case *rbacconfigv3.Permission_DestinationPortRange:
		return int64(req.DestPort) >= int64(r.DestinationPortRange.GetStart()) && int64(req.DestPort) < int64(r.DestinationPortRange.GetEnd()), nil
	case *rbacconfigv3.Permission_RequestedServerName:
		return stringMatches(r.RequestedServerName, req.sni())
	}
	return false, cannot("rbac permission %T", p.GetRule())
}

// principalMatches follows Principal: who the downstream is.
func principalMatches(p *rbacconfigv3.Principal, req *Request) (bool, error) {
	switch id := p.GetIdentifier().(type) {
	case *rbacconfigv3.Principal_Any:
		return id.Any, nil
	case *rbacconfigv3.Principal_AndIds:
		return allOf(id.AndIds.GetIds(), req, principalMatches)
	case *rbacconfigv3.Principal_OrIds:
		return anyOf(id.OrIds.GetIds(), req, principalMatches)
	case *rbacconfigv3.Principal_NotId:
		ok, err := principalMatches(id.NotId, req)
		return !ok, err
	case *rbacconfigv3.Principal_Authenticated_:
		return authenticated(id.Authenticated, req)
	case *rbacconfigv3.Principal_DirectRemoteIp:
		return inCIDR(id.DirectRemoteIp, req.SourceIP), nil
	case *rbacconfigv3.Principal_RemoteIp:
		return inCIDR(id.RemoteIp, req.SourceIP), nil
	case *rbacconfigv3.Principal_Header:
		return headerMatches(id.Header, req)
	case *rbacconfigv3.Principal_UrlPath:
		return stringMatches(id.UrlPath.GetPath(), req.pathOnly())
	}
	return false, cannot("rbac principal %T", p.GetIdentifier())
}

// authenticated: the client presented a certificate; principal_name, when
// set, must match its identity (the SPIFFE URI SAN in the mesh).
func authenticated(a *rbacconfigv3.Principal_Authenticated, req *Request) (bool, error) {
	if !req.hasClientCert() {
		return false, nil
	}
	if a.GetPrincipalName() == nil {
		return true, nil
	}
	return stringMatches(a.GetPrincipalName(), req.TLS.ClientID)
}

func inCIDR(c *corev3.CidrRange, ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	base, err := netip.ParseAddr(c.GetAddressPrefix())
	if err != nil {
		return false
	}
	prefix, err := base.Prefix(int(c.GetPrefixLen().GetValue()))
	return err == nil && prefix.Contains(addr)
}

func (r *Request) sni() string {
	if r.TLS == nil {
		return ""
	}
	return r.TLS.SNI
}
