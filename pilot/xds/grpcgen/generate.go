// Package grpcgen generates configuration for proxyless gRPC applications
// (grpc-go's xDS client and server). Clients ask for listeners by the exact
// target they dial ("host:port"); servers ask by the listener-name template
// "xds.istio.io/grpc/lds/inbound/%s" with %s = "IP:PORT". Listeners and
// routes are built for the names the proxy requested.
package grpcgen

import (
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Generate builds the resources for one proxyless application given the
// listener names it has requested so far.
func Generate(m *mesh.Mesh, p *xds.Proxy, listenerNames []string) (xds.Resources, build.Degradations) {
	var deg build.Degradations
	res := xds.Resources{}
	for _, name := range listenerNames {
		if addr, ok := ServerAddress(name); ok {
			if l := serverListener(name, addr, serverMode(m, p, addr, &deg), p, &deg); l != nil {
				res.Add(resource.ListenerType, l)
			}
			continue
		}
		vh := resolve(m, p, name)
		if vh == nil {
			continue // unknown target: leaving it out makes grpc-go report "resource not found"
		}
		res.Add(resource.ListenerType, clientListener(name))
		res.Add(resource.RouteType, routeConfig(name, vh, m, p, &deg))
	}
	opts := build.Options{Proxyless: true, Mesh: m, NoTLS: !p.HasCertProvider(build.CertProviderInstance)}
	for _, c := range m.Clusters {
		if cl := build.Cluster(c, opts, &deg); cl != nil {
			res.Add(resource.ClusterType, cl)
			res.Add(resource.EndpointType, build.LoadAssignment(cl.Name, c.Endpoints()))
		}
	}
	return res, deg
}
