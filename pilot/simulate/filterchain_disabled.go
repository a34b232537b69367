package simulate

import (
	"fmt"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// filterDisabled evaluates a listener filter's filter_disabled predicate
// for the connection (Envoy: ListenerFilterChainMatchPredicate). The
// destination is the original one: istiod's predicates name application
// ports on virtualInbound. A predicate without a rule is reported.
func filterDisabled(p *listenerv3.ListenerFilterChainMatchPredicate, req *Request) (bool, error) {
	if p == nil {
		return false, nil
	}
	switch r := p.GetRule().(type) {
	case *listenerv3.ListenerFilterChainMatchPredicate_AnyMatch:
		return r.AnyMatch, nil
	case *listenerv3.ListenerFilterChainMatchPredicate_NotMatch:
		v, err := filterDisabled(r.NotMatch, req)
		return !v, err
	case *listenerv3.ListenerFilterChainMatchPredicate_OrMatch:
		return anyRule(r.OrMatch.GetRules(), req, true)
	case *listenerv3.ListenerFilterChainMatchPredicate_AndMatch:
		v, err := anyRule(r.AndMatch.GetRules(), req, false)
		return !v, err
	case *listenerv3.ListenerFilterChainMatchPredicate_DestinationPortRange:
		port := int32(req.DestPort)
		return port >= r.DestinationPortRange.GetStart() && port < r.DestinationPortRange.GetEnd(), nil
	}
	return false, fmt.Errorf("rule %T", p.GetRule())
}

// anyRule reports whether some rule evaluates to want (or_match: any
// true; and_match: any false).
func anyRule(rules []*listenerv3.ListenerFilterChainMatchPredicate, req *Request, want bool) (bool, error) {
	for _, r := range rules {
		v, err := filterDisabled(r, req)
		if err != nil {
			return false, err
		}
		if v == want {
			return true, nil
		}
	}
	return false, nil
}
