package grpcgen

import (
	"net"
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// routeConfig is named like the listener and holds one virtual host: the
// configuration is already specific to one target, so "*" is exact enough.
// It adds to referenced the clusters the routes send to, derived from the
// same IR rules, so the clusters sent always match the routes.
func routeConfig(name string, vh *mesh.VirtualHost, m *mesh.Mesh, p *xds.Proxy, referenced map[string]bool, deg *build.Degradations) *routev3.RouteConfiguration {
	opts := build.Options{Proxyless: true, ListenerPort: vh.Port.Number}
	rules := xds.RoutesFor(vh, p)
	routes := build.VirtualHostRoutes(rules, vh, m, opts, deg)
	build.AddVirtualHostClusters(referenced, rules, vh, opts)
	if warm, names := warmRoute(vh, m, opts); warm != nil {
		routes = append(routes, warm)
		for _, n := range names {
			referenced[n] = true
		}
	}
	return &routev3.RouteConfiguration{
		Name:         name,
		VirtualHosts: []*routev3.VirtualHost{{Name: vh.Service.Hostname + ":" + strconv.Itoa(int(vh.Port.Number)), Domains: []string{"*"}, Routes: routes}},
	}
}

// resolve maps a dial target "host[:port]" to a service port, trying the
// name as given and then the short-name expansions from the proxy's
// namespace, as Kubernetes DNS search paths would.
func resolve(m *mesh.Mesh, p *xds.Proxy, target string) *mesh.VirtualHost {
	host, port := splitTarget(target)
	for _, h := range candidates(host, p) {
		svc := m.Service(h)
		if svc == nil {
			continue
		}
		if port == 0 && len(svc.Ports) == 1 {
			port = svc.Ports[0].Number
		}
		return m.VirtualHost(h, port)
	}
	return nil
}

func splitTarget(target string) (string, uint32) {
	host, portStr, err := net.SplitHostPort(target)
	if err != nil {
		return target, 0
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return host, 0
	}
	return host, uint32(port)
}

func candidates(host string, p *xds.Proxy) []string {
	suffix := strings.TrimPrefix(p.DNSDomain, p.Namespace+".") // svc.cluster.local
	out := []string{host}
	switch strings.Count(host, ".") {
	case 0:
		out = append(out, host+"."+p.Namespace+"."+suffix)
	case 1:
		out = append(out, host+"."+suffix)
	case 2:
		if strings.HasSuffix(host, ".svc") {
			out = append(out, host+strings.TrimPrefix(suffix, "svc"))
		}
	}
	return out
}
