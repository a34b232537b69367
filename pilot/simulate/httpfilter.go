package simulate

import (
	"fmt"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// Filter config message names, by which Envoy (since typed_config became
// the way to choose a filter) identifies the filter; the name is a label.
const (
	msgRouter = "envoy.extensions.filters.http.router.v3.Router"
	msgFault  = "envoy.extensions.filters.http.fault.v3.HTTPFault"
	msgCors   = "envoy.extensions.filters.http.cors.v3.Cors"
	msgRBAC   = "envoy.extensions.filters.http.rbac.v3.RBAC"
	msgJWT    = "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication"
)

// httpFilter is one HTTP filter with the route's per-filter config.
type httpFilter struct {
	f        *hcmv3.HttpFilter
	perRoute *anypb.Any // nil when the route, virtual host and route config give none
}

// runHTTPFilters passes the request through the filters in order; the
// router is terminal. A filter that answers (RBAC denial) stops the chain.
func runHTTPFilters(filters []*hcmv3.HttpFilter, rc *routev3.RouteConfiguration, m *routed, req *Request, res *Result) error {
	for i, f := range filters {
		if f.GetConfigDiscovery() != nil {
			return cannot("http_filters[%d] %s config_discovery (ECDS)", i, f.GetName())
		}
		hf, enabled, err := filterForRoute(f, rc, m)
		if err != nil {
			return err
		}
		if !enabled {
			res.decide(f.GetName(), "pass (disabled on this route)")
			continue
		}
		terminal, err := hf.run(req, res)
		if err != nil || terminal || res.Failure != nil {
			return err
		}
	}
	return cannot("http_connection_manager: no terminal router filter")
}

// run applies one filter; it reports whether the filter is the router.
func (hf httpFilter) run(req *Request, res *Result) (bool, error) {
	switch hf.messageName() {
	case msgRouter:
		res.decide(hf.f.GetName(), "route")
		return true, nil
	case msgFault:
		return false, hf.fault(res, req)
	case msgCors:
		return false, hf.cors(req, res)
	case msgRBAC:
		return false, hf.rbac(req, res)
	case msgJWT:
		return false, hf.jwt(res)
	}
	if observerFilter(hf.f.GetName()) {
		res.decide(hf.f.GetName(), "pass")
		return false, nil
	}
	return false, cannot("http filter %s (%s)", hf.f.GetName(), hf.messageName())
}

// observerFilter: Istio's telemetry filters observe and never decide.
func observerFilter(name string) bool {
	switch name {
	case "istio.stats", "istio.metadata_exchange", "envoy.filters.http.grpc_stats":
		return true
	}
	return false
}

func (hf httpFilter) messageName() string {
	u := hf.f.GetTypedConfig().GetTypeUrl()
	return u[strings.LastIndexByte(u, '/')+1:]
}

// config is the filter's effective config: the route's per-filter config
// replaces the listener-level one whole.
func (hf httpFilter) config() *anypb.Any {
	if hf.perRoute != nil {
		return hf.perRoute
	}
	return hf.f.GetTypedConfig()
}

// filterForRoute finds the most specific per-filter config (route, then
// virtual host, then route config), keyed by the filter's name and
// possibly wrapped in a FilterConfig that can disable the filter. A filter
// marked disabled runs only where a route enables it.
func filterForRoute(f *hcmv3.HttpFilter, rc *routev3.RouteConfiguration, m *routed) (httpFilter, bool, error) {
	hf := httpFilter{f: f}
	for _, cfgs := range []map[string]*anypb.Any{m.route.GetTypedPerFilterConfig(), m.vh.GetTypedPerFilterConfig(), rc.GetTypedPerFilterConfig()} {
		if a, ok := cfgs[f.GetName()]; ok {
			return unwrapFilterConfig(hf, a)
		}
	}
	return hf, !f.GetDisabled(), nil
}

func unwrapFilterConfig(hf httpFilter, a *anypb.Any) (httpFilter, bool, error) {
	wrapper := &routev3.FilterConfig{}
	if !a.MessageIs(wrapper) {
		hf.perRoute = a
		return hf, true, nil
	}
	if err := a.UnmarshalTo(wrapper); err != nil {
		return hf, false, cannot("filter %s per-route FilterConfig: %v", hf.f.GetName(), err)
	}
	hf.perRoute = wrapper.GetConfig()
	return hf, !wrapper.GetDisabled(), nil
}

func (r *Result) decide(filter, format string, args ...any) {
	d := FilterDecision{Filter: filter, Decision: fmt.Sprintf(format, args...)}
	r.Filters = append(r.Filters, d)
	r.step("filter", "%s: %s", d.Filter, d.Decision)
}
