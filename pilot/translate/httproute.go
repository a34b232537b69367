package translate

//lint:file-ignore SA1019 Istio still honours its deprecated fields (fault.delay.percent, mirrorPercent, LEAST_CONN, consecutiveErrors, minimumRingSize), and so must weft.

import (
	"sort"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// converter turns one VirtualService's rules into IR rules.
type converter struct {
	t  *translator
	vs *boundVS
}

func (c converter) httpRoute(r *networking.HTTPRoute, i int) *mesh.HTTPRoute {
	out := &mesh.HTTPRoute{
		Name:    r.GetName(),
		Origin:  c.vs.vs.Namespace + "/" + c.vs.vs.Name + ".http" + "[" + itoa(i) + "]",
		Timeout: dur(r.GetTimeout()),
		Retry:   retry(r.GetRetries()),
		Fault:   fault(r.GetFault()),
		Mirrors: c.mirrors(r),
		Headers: headerOps(r.GetHeaders()),
		Cors:    cors(r.GetCorsPolicy()),
		Rewrite: rewrite(r.GetRewrite()),
	}
	for _, m := range r.GetMatch() {
		out.Matches = append(out.Matches, match(m))
	}
	switch {
	case r.GetRedirect() != nil:
		out.Redirect = redirect(r.GetRedirect())
	case r.GetDirectResponse() != nil:
		out.DirectResponse = directResponse(r.GetDirectResponse())
	default:
		out.Destinations = c.destinations(r.GetRoute())
	}
	return out
}

func (c converter) destinations(routes []*networking.HTTPRouteDestination) []mesh.Destination {
	out := make([]mesh.Destination, 0, len(routes))
	for _, rd := range routes {
		out = append(out, mesh.Destination{
			Cluster: c.clusterKey(rd.GetDestination()),
			Weight:  mesh.NormalizedWeight(rd.GetWeight(), len(routes)),
			Headers: headerOps(rd.GetHeaders()),
		})
	}
	return out
}

// clusterKey resolves a destination; without a port it takes the target's
// only port, or else the port the traffic arrived on (Port 0).
func (c converter) clusterKey(d *networking.Destination) mesh.ClusterKey {
	host := config.ResolveHost(d.GetHost(), c.vs.vs.Namespace)
	k := mesh.ClusterKey{Direction: mesh.Outbound, Host: host, Subset: d.GetSubset()}
	if n := d.GetPort().GetNumber(); n != 0 {
		k.Port = n
	} else if svc := c.t.byHost[host]; svc != nil && len(svc.Ports) == 1 {
		k.Port = svc.Ports[0].Number
	}
	return k
}

func (c converter) mirrors(r *networking.HTTPRoute) []mesh.Mirror {
	var out []mesh.Mirror
	if r.GetMirror() != nil {
		pct := 100.0
		if r.GetMirrorPercentage() != nil {
			pct = r.GetMirrorPercentage().GetValue()
		} else if r.GetMirrorPercent() != nil {
			pct = float64(r.GetMirrorPercent().GetValue())
		}
		out = append(out, mesh.Mirror{Cluster: c.clusterKey(r.GetMirror()), Percent: pct})
	}
	for _, m := range r.GetMirrors() {
		out = append(out, mesh.Mirror{Cluster: c.clusterKey(m.GetDestination()), Percent: percentOr100(m.GetPercentage())})
	}
	return out
}

func (c converter) tcpRoutes(r *networking.TCPRoute, i int) []*mesh.TCPRoute {
	origin := c.vs.vs.Namespace + "/" + c.vs.vs.Name + ".tcp[" + itoa(i) + "]"
	routes := r.GetRoute()
	dests := make([]mesh.Destination, 0, len(routes))
	for _, rd := range routes {
		dests = append(dests, mesh.Destination{Cluster: c.clusterKey(rd.GetDestination()), Weight: mesh.NormalizedWeight(rd.GetWeight(), len(routes))})
	}
	if len(r.GetMatch()) == 0 {
		return []*mesh.TCPRoute{{Destinations: dests, Origin: origin}}
	}
	out := make([]*mesh.TCPRoute, 0, len(r.GetMatch()))
	for _, m := range r.GetMatch() {
		out = append(out, &mesh.TCPRoute{Port: m.GetPort(), SourceLabels: m.GetSourceLabels(), SourceNamespace: m.GetSourceNamespace(), Destinations: dests, Origin: origin})
	}
	return out
}

func match(m *networking.HTTPMatchRequest) mesh.Match {
	out := mesh.Match{
		URI:             stringMatch(m.GetUri()),
		IgnoreURICase:   m.GetIgnoreUriCase(),
		Port:            m.GetPort(),
		SourceLabels:    m.GetSourceLabels(),
		SourceNamespace: m.GetSourceNamespace(),
	}
	pseudo := []struct {
		name string
		sm   *networking.StringMatch
	}{{":method", m.GetMethod()}, {":authority", m.GetAuthority()}, {":scheme", m.GetScheme()}}
	for _, p := range pseudo {
		if sm := stringMatch(p.sm); sm != nil {
			out.Headers = append(out.Headers, mesh.HeaderMatch{Name: p.name, Match: *sm})
		}
	}
	out.Headers = append(out.Headers, headerMatches(m.GetHeaders(), false)...)
	out.Headers = append(out.Headers, headerMatches(m.GetWithoutHeaders(), true)...)
	out.QueryParams = headerMatches(m.GetQueryParams(), false)
	return out
}

// headerMatches converts a map in sorted key order for stable output.
func headerMatches(in map[string]*networking.StringMatch, invert bool) []mesh.HeaderMatch {
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]mesh.HeaderMatch, 0, len(keys))
	for _, k := range keys {
		m := stringMatch(in[k])
		if m == nil {
			// An empty match means "header present" (or absent, with invert).
			m = &mesh.StringMatch{Kind: mesh.MatchRegex, Value: ".*"}
		}
		out = append(out, mesh.HeaderMatch{Name: strings.ToLower(k), Match: *m, Invert: invert})
	}
	return out
}

func stringMatch(sm *networking.StringMatch) *mesh.StringMatch {
	// An empty value (exact: "") counts as no match, as it did before the
	// oneof: headerMatches reads it as "header present".
	switch {
	case sm.GetExact() != "":
		return &mesh.StringMatch{Kind: mesh.MatchExact, Value: sm.GetExact()}
	case sm.GetPrefix() != "":
		return &mesh.StringMatch{Kind: mesh.MatchPrefix, Value: sm.GetPrefix()}
	case sm.GetRegex() != "":
		return &mesh.StringMatch{Kind: mesh.MatchRegex, Value: sm.GetRegex()}
	}
	return nil
}
