// Package envoy generates the configuration of an Envoy sidecar with
// Istio-compatible names: listeners virtualOutbound (15001), virtualInbound
// (15006) and 0.0.0.0_PORT, route configs named by port, and clusters
// outbound|PORT|SUBSET|HOST and inbound|PORT||.
package envoy

import (
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Generate builds every resource for one sidecar proxy. Degradations are
// features the sidecar cannot honour (none expected for Envoy; kept for
// symmetry with the proxyless generator).
func Generate(m *mesh.Mesh, p *xds.Proxy) (xds.Resources, build.Degradations) {
	var deg build.Degradations
	res := xds.Resources{}
	for _, c := range Clusters(m, p, &deg) {
		res.Add(resource.ClusterType, c)
	}
	for _, cla := range Endpoints(m) {
		res.Add(resource.EndpointType, cla)
	}
	for _, l := range Listeners(m, p) {
		res.Add(resource.ListenerType, l)
	}
	for _, rc := range RouteConfigs(m, p, &deg) {
		res.Add(resource.RouteType, rc)
	}
	return res, deg
}

func boolFalse() *wrapperspb.BoolValue { return wrapperspb.Bool(false) }
