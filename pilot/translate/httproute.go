package translate

import (
	"sort"
	"strings"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// converter turns one VirtualService's rules into IR rules.
type converter struct {
	t  *translator
	vs *boundVS
}

func (c converter) httpRoute(r *networkingv1.HTTPRoute, i int) *mesh.HTTPRoute {
	out := &mesh.HTTPRoute{
		Name:    r.Name,
		Origin:  c.vs.vs.Namespace + "/" + c.vs.vs.Name + ".http" + "[" + itoa(i) + "]",
		Timeout: dur(r.Timeout),
		Retry:   retry(r.Retries),
		Fault:   fault(r.Fault),
		Mirrors: c.mirrors(r),
		Headers: headerOps(r.Headers),
		Cors:    cors(r.CorsPolicy),
		Rewrite: rewrite(r.Rewrite),
	}
	for _, m := range r.Match {
		out.Matches = append(out.Matches, match(m))
	}
	switch {
	case r.Redirect != nil:
		out.Redirect = redirect(r.Redirect)
	case r.DirectResponse != nil:
		out.DirectResponse = directResponse(r.DirectResponse)
	default:
		out.Destinations = c.destinations(r.Route)
	}
	return out
}

func (c converter) destinations(routes []networkingv1.HTTPRouteDestination) []mesh.Destination {
	out := make([]mesh.Destination, 0, len(routes))
	for _, rd := range routes {
		out = append(out, mesh.Destination{
			Cluster: c.clusterKey(rd.Destination),
			Weight:  mesh.NormalizedWeight(rd.Weight, len(routes)),
			Headers: headerOps(rd.Headers),
		})
	}
	return out
}

// clusterKey resolves a destination; without a port it takes the target's
// only port, or else the port the traffic arrived on (Port 0).
func (c converter) clusterKey(d networkingv1.Destination) mesh.ClusterKey {
	host := config.ResolveHost(d.Host, c.vs.vs.Namespace)
	k := mesh.ClusterKey{Direction: mesh.Outbound, Host: host, Subset: d.Subset}
	if d.Port != nil && d.Port.Number != 0 {
		k.Port = d.Port.Number
	} else if svc := c.t.byHost[host]; svc != nil && len(svc.Ports) == 1 {
		k.Port = svc.Ports[0].Number
	}
	return k
}

func (c converter) mirrors(r *networkingv1.HTTPRoute) []mesh.Mirror {
	var out []mesh.Mirror
	if r.Mirror != nil {
		pct := 100.0
		if r.MirrorPercentage != nil {
			pct = r.MirrorPercentage.Value
		} else if r.MirrorPercent != nil {
			pct = float64(*r.MirrorPercent)
		}
		out = append(out, mesh.Mirror{Cluster: c.clusterKey(*r.Mirror), Percent: pct})
	}
	for _, m := range r.Mirrors {
		out = append(out, mesh.Mirror{Cluster: c.clusterKey(m.Destination), Percent: percentOr100(m.Percentage)})
	}
	return out
}

func (c converter) tcpRoutes(r *networkingv1.TCPRoute, i int) []*mesh.TCPRoute {
	origin := c.vs.vs.Namespace + "/" + c.vs.vs.Name + ".tcp[" + itoa(i) + "]"
	dests := make([]mesh.Destination, 0, len(r.Route))
	for _, rd := range r.Route {
		dests = append(dests, mesh.Destination{Cluster: c.clusterKey(rd.Destination), Weight: mesh.NormalizedWeight(rd.Weight, len(r.Route))})
	}
	if len(r.Match) == 0 {
		return []*mesh.TCPRoute{{Destinations: dests, Origin: origin}}
	}
	out := make([]*mesh.TCPRoute, 0, len(r.Match))
	for _, m := range r.Match {
		out = append(out, &mesh.TCPRoute{Port: m.Port, SourceLabels: m.SourceLabels, SourceNamespace: m.SourceNamespace, Destinations: dests, Origin: origin})
	}
	return out
}

func match(m networkingv1.HTTPMatchRequest) mesh.Match {
	out := mesh.Match{
		URI:             stringMatch(m.URI),
		IgnoreURICase:   m.IgnoreURICase,
		Port:            m.Port,
		SourceLabels:    m.SourceLabels,
		SourceNamespace: m.SourceNamespace,
	}
	pseudo := []struct {
		name string
		sm   *networkingv1.StringMatch
	}{{":method", m.Method}, {":authority", m.Authority}, {":scheme", m.Scheme}}
	for _, p := range pseudo {
		if sm := stringMatch(p.sm); sm != nil {
			out.Headers = append(out.Headers, mesh.HeaderMatch{Name: p.name, Match: *sm})
		}
	}
	out.Headers = append(out.Headers, headerMatches(m.Headers, false)...)
	out.Headers = append(out.Headers, headerMatches(m.WithoutHeaders, true)...)
	out.QueryParams = headerMatches(m.QueryParams, false)
	return out
}

// headerMatches converts a map in sorted key order for stable output.
func headerMatches(in map[string]networkingv1.StringMatch, invert bool) []mesh.HeaderMatch {
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]mesh.HeaderMatch, 0, len(keys))
	for _, k := range keys {
		sm := in[k]
		m := stringMatch(&sm)
		if m == nil {
			// An empty match means "header present" (or absent, with invert).
			m = &mesh.StringMatch{Kind: mesh.MatchRegex, Value: ".*"}
		}
		out = append(out, mesh.HeaderMatch{Name: strings.ToLower(k), Match: *m, Invert: invert})
	}
	return out
}

func stringMatch(sm *networkingv1.StringMatch) *mesh.StringMatch {
	switch {
	case sm == nil:
		return nil
	case sm.Exact != "":
		return &mesh.StringMatch{Kind: mesh.MatchExact, Value: sm.Exact}
	case sm.Prefix != "":
		return &mesh.StringMatch{Kind: mesh.MatchPrefix, Value: sm.Prefix}
	case sm.Regex != "":
		return &mesh.StringMatch{Kind: mesh.MatchRegex, Value: sm.Regex}
	}
	return nil
}
