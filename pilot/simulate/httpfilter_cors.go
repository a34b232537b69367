package simulate

import (
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
)

// cors follows the CORS filter: only a request with an Origin the route's
// policy allows is a CORS request. An allowed preflight (OPTIONS with
// Access-Control-Request-Method) Envoy answers itself with 200; any other
// request goes on, with CORS headers added to the response when the
// origin is allowed. A preflight whose origin is not allowed is forwarded
// (forward_not_matching_preflights defaults to true).
func (hf httpFilter) cors(req *Request, res *Result) error {
	policy, err := hf.corsPolicy()
	if err != nil || policy == nil {
		res.decide(hf.f.GetName(), "pass (no CORS policy on this route)")
		return err
	}
	if fe := policy.GetFilterEnabled(); fe != nil && fraction(fe.GetDefaultValue()) == 0 {
		res.decide(hf.f.GetName(), "pass (filter_enabled 0%%)")
		return nil
	}
	origin := req.Headers["origin"]
	if origin == "" {
		res.decide(hf.f.GetName(), "pass (no Origin: not a CORS request)")
		return nil
	}
	allowed, err := originAllowed(policy, origin)
	if err != nil || !allowed {
		res.decide(hf.f.GetName(), "pass (origin %s not allowed: no CORS headers)", origin)
		return err
	}
	if req.method() != "OPTIONS" || req.Headers["access-control-request-method"] == "" {
		res.decide(hf.f.GetName(), "allow origin %s (CORS headers added to the response)", origin)
		return nil
	}
	answerPreflight(res)
	res.decide(hf.f.GetName(), "preflight from %s answered 200 by the proxy", origin)
	return nil
}

// corsPolicy is the route's CorsPolicy; the listener-level Cors config
// carries none.
func (hf httpFilter) corsPolicy() (*corsv3.CorsPolicy, error) {
	if hf.perRoute == nil {
		return nil, nil
	}
	p := &corsv3.CorsPolicy{}
	if err := hf.perRoute.UnmarshalTo(p); err != nil {
		return nil, cannot("cors filter %s per-route config: %v", hf.f.GetName(), err)
	}
	return p, nil
}

func originAllowed(p *corsv3.CorsPolicy, origin string) (bool, error) {
	for _, m := range p.GetAllowOriginStringMatch() {
		if ok, err := stringMatches(m, origin); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// answerPreflight: the proxy's own 200 replaces the route's action, so no
// upstream sees the request.
func answerPreflight(res *Result) {
	res.Action.Clusters = nil
	res.Action.Redirect = nil
	res.Action.DirectResponse = &DirectResponse{Status: 200}
}
