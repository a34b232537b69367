package build

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// Routes converts the IR rules of one virtual host. A rule with several
// matches becomes several Envoy routes sharing one action, in order.
func Routes(rules []*mesh.HTTPRoute, m *mesh.Mesh, opts Options, deg *Degradations) []*routev3.Route {
	var out []*routev3.Route
	for _, r := range rules {
		matches := r.Matches
		if len(matches) == 0 {
			matches = []mesh.Match{{}}
		}
		for j := range matches {
			out = append(out, Route(r, &matches[j], m, opts, deg, fmt.Sprintf("%s.%d", name(r), j)))
		}
	}
	return out
}

func name(r *mesh.HTTPRoute) string {
	if r.Name != "" {
		return r.Name
	}
	return r.Origin
}

// Route converts one rule under one of its matches.
func Route(r *mesh.HTTPRoute, match *mesh.Match, m *mesh.Mesh, opts Options, deg *Degradations, routeName string) *routev3.Route {
	out := &routev3.Route{Name: routeName, Match: RouteMatch(match, opts, deg)}
	switch {
	case r.Redirect != nil:
		out.Action = &routev3.Route_Redirect{Redirect: RedirectAction(r.Redirect)}
	case r.DirectResponse != nil:
		out.Action = &routev3.Route_DirectResponse{DirectResponse: DirectResponseAction(r.DirectResponse)}
	default:
		out.Action = &routev3.Route_Route{Route: RouteAction(r, m, opts, deg)}
	}
	applyHeaders(out, r.Headers)
	out.TypedPerFilterConfig = perFilterConfig(r, opts, deg)
	return out
}

func perFilterConfig(r *mesh.HTTPRoute, opts Options, deg *Degradations) map[string]*anypb.Any {
	cfg := map[string]*anypb.Any{}
	if r.Fault != nil {
		cfg[FilterFault] = mustAny(Fault(r.Fault))
	}
	if r.Cors != nil {
		if opts.Proxyless {
			deg.Add("corsPolicy dropped: grpc-go has no CORS filter")
		} else {
			cfg[FilterCors] = mustAny(Cors(r.Cors))
		}
	}
	if len(cfg) == 0 {
		return nil
	}
	return cfg
}

// RouteAction forwards to the rule's destinations.
func RouteAction(r *mesh.HTTPRoute, m *mesh.Mesh, opts Options, deg *Degradations) *routev3.RouteAction {
	a := &routev3.RouteAction{}
	targets := mesh.TrafficSplit(r.Destinations)
	setClusters(a, r, targets, opts)
	if r.Timeout > 0 {
		a.Timeout = durationpb.New(r.Timeout)
		// grpc-go ignores timeout and honours max_stream_duration instead.
		a.MaxStreamDuration = &routev3.RouteAction_MaxStreamDuration{MaxStreamDuration: durationpb.New(r.Timeout)}
	} else if !opts.Proxyless {
		// Istio's sidecar default: no route timeout.
		a.Timeout = NoTimeout()
	}
	if !opts.Proxyless {
		setGRPCTimeout(a, r.Timeout)
	}
	if p := RetryPolicy(r.Retry, opts, deg); p != nil {
		a.RetryPolicy = p
	}
	for _, mr := range r.Mirrors {
		a.RequestMirrorPolicies = append(a.RequestMirrorPolicies, mirror(mr, opts))
	}
	applyRewrite(a, r.Rewrite)
	a.HashPolicy = HashPolicy(targets, m, opts, deg)
	return a
}

// setClusters sends to the targets (mesh.TrafficSplit) of r. A lone
// destination without header edits is named directly; otherwise
// weighted_clusters carries the targets' weights and header edits.
func setClusters(a *routev3.RouteAction, r *mesh.HTTPRoute, targets []mesh.Destination, opts Options) {
	if len(r.Destinations) == 1 && targets[0].Headers.Empty() {
		a.ClusterSpecifier = &routev3.RouteAction_Cluster{Cluster: ClusterName(targets[0].Cluster, opts)}
		return
	}
	wc := &routev3.WeightedCluster{}
	for _, d := range targets {
		c := &routev3.WeightedCluster_ClusterWeight{
			Name:   ClusterName(d.Cluster, opts),
			Weight: wrapperspb.UInt32(d.Weight),
		}
		c.RequestHeadersToAdd, c.RequestHeadersToRemove = requestHeaders(d.Headers)
		c.ResponseHeadersToAdd, c.ResponseHeadersToRemove = responseHeaders(d.Headers)
		wc.Clusters = append(wc.Clusters, c)
	}
	a.ClusterSpecifier = &routev3.RouteAction_WeightedClusters{WeightedClusters: wc}
}

// ClusterName names the cluster of a destination key (see ResolvePort).
func ClusterName(k mesh.ClusterKey, opts Options) string {
	return ResolvePort(k, opts).String()
}

// ResolvePort fills in the listener port for a destination the
// VirtualService left without one (Port 0 in the IR).
func ResolvePort(k mesh.ClusterKey, opts Options) mesh.ClusterKey {
	if k.Port == 0 {
		k.Port = opts.ListenerPort
	}
	return k
}

func mirror(mr mesh.Mirror, opts Options) *routev3.RouteAction_RequestMirrorPolicy {
	return &routev3.RouteAction_RequestMirrorPolicy{
		Cluster:         ClusterName(mr.Cluster, opts),
		RuntimeFraction: runtimeFraction(mr.Percent),
	}
}

func applyRewrite(a *routev3.RouteAction, rw *mesh.Rewrite) {
	if rw == nil {
		return
	}
	if rw.Prefix != "" {
		a.PrefixRewrite = rw.Prefix
	}
	if rw.RegexMatch != "" {
		a.RegexRewrite = &matcherv3.RegexMatchAndSubstitute{Pattern: Regex(rw.RegexMatch), Substitution: rw.RegexReplace}
	}
	if rw.Authority != "" {
		a.HostRewriteSpecifier = &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: rw.Authority}
	}
}

// RedirectAction converts a redirect rule.
func RedirectAction(r *mesh.Redirect) *routev3.RedirectAction {
	a := &routev3.RedirectAction{HostRedirect: r.Authority, PortRedirect: r.Port}
	if r.Path != "" {
		a.PathRewriteSpecifier = &routev3.RedirectAction_PathRedirect{PathRedirect: r.Path}
	}
	if r.Scheme != "" {
		a.SchemeRewriteSpecifier = &routev3.RedirectAction_SchemeRedirect{SchemeRedirect: r.Scheme}
	}
	a.ResponseCode = redirectCode(r.Code)
	return a
}

func redirectCode(code uint32) routev3.RedirectAction_RedirectResponseCode {
	switch code {
	case 302:
		return routev3.RedirectAction_FOUND
	case 303:
		return routev3.RedirectAction_SEE_OTHER
	case 307:
		return routev3.RedirectAction_TEMPORARY_REDIRECT
	case 308:
		return routev3.RedirectAction_PERMANENT_REDIRECT
	}
	return routev3.RedirectAction_MOVED_PERMANENTLY
}

// DirectResponseAction converts a fixed response.
func DirectResponseAction(d *mesh.DirectResponse) *routev3.DirectResponseAction {
	a := &routev3.DirectResponseAction{Status: d.Status}
	if d.Body != "" {
		a.Body = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: d.Body}}
	}
	return a
}

// DefaultRoute sends everything to a service port's default cluster: the
// behaviour of a service no VirtualService routes. m supplies the default
// cluster's consistent hash, which istiod also sets on this route: without
// it a DestinationRule's consistentHash would have no key to hash on.
func DefaultRoute(vh *mesh.VirtualHost, m *mesh.Mesh, opts Options, deg *Degradations) *routev3.Route {
	return Route(defaultRule(vh), &mesh.Match{}, m, opts, deg, "default")
}

func defaultRule(vh *mesh.VirtualHost) *mesh.HTTPRoute {
	key := mesh.ClusterKey{Direction: mesh.Outbound, Port: vh.Port.Number, Host: vh.Service.Hostname}
	return &mesh.HTTPRoute{Name: "default", Destinations: []mesh.Destination{{Cluster: key, Weight: mesh.AllTraffic}}}
}

// VirtualHostRoutes converts the rules of vh that apply to p, falling back
// to the default route when no VirtualService covers the host.
func VirtualHostRoutes(rules []*mesh.HTTPRoute, vh *mesh.VirtualHost, m *mesh.Mesh, opts Options, deg *Degradations) []*routev3.Route {
	if usesDefaultRoute(vh) {
		return []*routev3.Route{DefaultRoute(vh, m, opts, deg)}
	}
	return Routes(rules, m, opts, deg)
}

// AddVirtualHostClusters adds to out the clusters the routes
// VirtualHostRoutes builds from the same arguments send traffic to. It
// reads the IR rather than the built routes, and shares their choice of
// rules and targets, so the two cannot disagree. Mirrors are left out:
// grpc-go, the reason to ask, does not mirror.
func AddVirtualHostClusters(out map[string]bool, rules []*mesh.HTTPRoute, vh *mesh.VirtualHost, opts Options) {
	if usesDefaultRoute(vh) {
		rules = []*mesh.HTTPRoute{defaultRule(vh)}
	}
	for _, r := range rules {
		for _, d := range r.Targets() {
			out[ClusterName(d.Cluster, opts)] = true
		}
	}
}

// usesDefaultRoute: only a host no VirtualService covers gets the default
// route; a covered host whose rules all apply elsewhere gets none.
func usesDefaultRoute(vh *mesh.VirtualHost) bool { return len(vh.HTTPRoutes) == 0 }
