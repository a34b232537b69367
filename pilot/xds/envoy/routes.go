package envoy

import (
	"sort"
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// RouteConfigs returns one route configuration per HTTP service port, named
// by the port number as Istio names them ("9080").
func RouteConfigs(m *mesh.Mesh, p *xds.Proxy, deg *build.Degradations) []*routev3.RouteConfiguration {
	byPort := httpVirtualHostsByPort(m, m.ScopeFor(p.Namespace, p.Labels))
	ports := make([]uint32, 0, len(byPort))
	for port := range byPort {
		ports = append(ports, port)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	out := make([]*routev3.RouteConfiguration, 0, len(ports))
	for _, port := range ports {
		out = append(out, routeConfig(m, p, port, byPort[port], deg))
	}
	return out
}

func httpVirtualHostsByPort(m *mesh.Mesh, scope *mesh.Scope) map[uint32][]*mesh.VirtualHost {
	byPort := map[uint32][]*mesh.VirtualHost{}
	for _, vh := range m.VirtualHosts {
		if routedAsHTTP(scope, vh) {
			byPort[vh.Port.Number] = append(byPort[vh.Port.Number], vh)
		}
	}
	return byPort
}

func routeConfig(m *mesh.Mesh, p *xds.Proxy, port uint32, vhs []*mesh.VirtualHost, deg *build.Degradations) *routev3.RouteConfiguration {
	rc := &routev3.RouteConfiguration{Name: strconv.FormatUint(uint64(port), 10), ValidateClusters: boolFalse(),
		IgnorePortInHostMatching: true}
	seen := map[string]bool{}
	known := make(map[string]bool, len(vhs))
	for _, vh := range vhs {
		known[vh.Service.Hostname] = true
	}
	opts := build.Options{ListenerPort: port}
	for _, vh := range vhs {
		domains := uniqueDomains(domainsFor(vh.Service, p, known), seen)
		if len(domains) == 0 {
			continue
		}
		rc.VirtualHosts = append(rc.VirtualHosts, &routev3.VirtualHost{
			Name:    vh.Service.Hostname + ":" + rc.Name,
			Domains: domains,
			Routes:  build.VirtualHostRoutes(xds.RoutesFor(vh, p), vh, m, opts, deg),
		})
	}
	rc.VirtualHosts = append(rc.VirtualHosts, catchAll(unknownCluster(m, p)))
	return rc
}

// catchAll answers hosts no service claims: allowAny under ALLOW_ANY,
// blockAll under REGISTRY_ONLY, as istiod builds them.
func catchAll(unknown string) *routev3.VirtualHost {
	if unknown == BlackHoleCluster {
		return blockAll()
	}
	return allowAny(unknown)
}

// blockAll refuses unknown hosts with 502, Istio's REGISTRY_ONLY answer.
func blockAll() *routev3.VirtualHost {
	return &routev3.VirtualHost{
		Name:    "block_all",
		Domains: []string{"*"},
		Routes: []*routev3.Route{{
			Name:   "block_all",
			Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 502}},
		}},
	}
}

// allowAny sends unknown hosts to their original destination, Istio's
// default ALLOW_ANY outbound traffic policy, or to the Sidecar's egress
// proxy cluster.
func allowAny(cluster string) *routev3.VirtualHost {
	return &routev3.VirtualHost{
		Name:    "allow_any",
		Domains: []string{"*"},
		Routes: []*routev3.Route{{
			Name:   "allow_any",
			Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			Action: &routev3.Route_Route{Route: passthroughRouteAction(cluster)},
		}},
	}
}

// uniqueDomains drops names already used: Envoy rejects a route
// configuration in which two virtual hosts share a domain.
func uniqueDomains(domains []string, seen map[string]bool) []string {
	out := domains[:0:0]
	for _, d := range domains {
		if k := strings.ToLower(d); !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	return out
}
