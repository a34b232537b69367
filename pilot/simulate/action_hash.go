package simulate

import routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

// hashKeys names what the route's hash policies hash a request on, in
// order: header:NAME, cookie:NAME, sourceIp, query:NAME or filterState:KEY.
// A ring-hash or maglev cluster picks its endpoint by these; without any
// it picks at random.
func hashKeys(a *routev3.RouteAction) []string {
	var out []string
	for _, p := range a.GetHashPolicy() {
		if k := hashKey(p); k != "" {
			out = append(out, k)
		}
	}
	return out
}

func hashKey(p *routev3.RouteAction_HashPolicy) string {
	switch {
	case p.GetHeader() != nil:
		return "header:" + p.GetHeader().GetHeaderName()
	case p.GetCookie() != nil:
		return "cookie:" + p.GetCookie().GetName()
	case p.GetConnectionProperties().GetSourceIp():
		return "sourceIp"
	case p.GetQueryParameter() != nil:
		return "query:" + p.GetQueryParameter().GetName()
	case p.GetFilterState() != nil:
		return "filterState:" + p.GetFilterState().GetKey()
	}
	return ""
}
