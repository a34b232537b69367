package simulate

import (
	"strconv"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// defaultRouteTimeout is RouteAction.timeout's documented default.
const defaultRouteTimeout = 15 * time.Second

// buildAction records what the matched route does, then the header
// changes of every level.
func buildAction(rc *routev3.RouteConfiguration, m *routed, req *Request, res *Result) error {
	var err error
	switch a := m.route.GetAction().(type) {
	case *routev3.Route_Route:
		err = routeAction(a.Route, m, req, res)
	case *routev3.Route_Redirect:
		err = redirectAction(a.Redirect, m.route.GetMatch(), req, res)
	case *routev3.Route_DirectResponse:
		err = directResponseAction(a.DirectResponse, res)
	case *routev3.Route_NonForwardingAction:
		res.step("action", "non-forwarding: the server's own handler takes the request")
	default:
		err = cannot("route %s action %T", res.Route, m.route.GetAction())
	}
	if err != nil {
		return err
	}
	return headerChanges(rc, m, req, res)
}

// routeAction forwards: clusters and their split, timeout, retries,
// mirrors, rewrites.
func routeAction(a *routev3.RouteAction, m *routed, req *Request, res *Result) error {
	if err := setClusters(a, req, res); err != nil {
		return err
	}
	res.Action.Timeout = grpcTimeout(a, req, routeTimeout(a))
	res.Action.Retry = retryPolicy(a, m.vh)
	res.Action.HashOn = hashKeys(a)
	if err := setMirrors(a, m, res); err != nil {
		return err
	}
	return setRewrites(a, m.route.GetMatch(), req, res)
}

// routeTimeout: unset is 15s; 0 disables the timeout (recorded as 0).
func routeTimeout(a *routev3.RouteAction) *time.Duration {
	d := defaultRouteTimeout
	if a.GetTimeout() != nil {
		d = a.GetTimeout().AsDuration()
	}
	return &d
}

// setMirrors: the most specific non-empty list of mirror policies (route,
// else virtual host) applies; each mirrors its runtime_fraction's default
// share, all requests when unset.
func setMirrors(a *routev3.RouteAction, m *routed, res *Result) error {
	policies := a.GetRequestMirrorPolicies()
	if len(policies) == 0 {
		policies = m.vh.GetRequestMirrorPolicies()
	}
	for _, p := range policies {
		if p.GetCluster() == "" {
			return cannot("route %s request_mirror_policies cluster_header %s", res.Route, p.GetClusterHeader())
		}
		share := 1.0
		if p.GetRuntimeFraction() != nil {
			share = fraction(p.GetRuntimeFraction().GetDefaultValue())
		}
		res.Action.Mirrors = append(res.Action.Mirrors, Mirror{Cluster: p.GetCluster(), Probability: share})
	}
	return nil
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
