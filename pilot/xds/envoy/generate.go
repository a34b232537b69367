// Package envoy generates the configuration of an Envoy sidecar with
// Istio-compatible names: listeners virtualOutbound (15001), virtualInbound
// (15006) and 0.0.0.0_PORT, route configs named by port, and clusters
// outbound|PORT|SUBSET|HOST and inbound|PORT||.
package envoy

import (
	"strconv"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// Generate builds every resource for one sidecar proxy. Degradations are
// features the sidecar cannot honour (none expected for Envoy; kept for
// symmetry with the proxyless generator).
func Generate(m *mesh.Mesh, p *xds.Proxy) (xds.Resources, build.Degradations) {
	return share.Build(Specs(m, p))
}

// Specs describes a sidecar's configuration per type. Each key names what
// that type reads of the proxy, so sidecars of one deployment (same
// namespace, labels and service ports) share every part, and sidecars in
// one locality share endpoints. A Sidecar resource selecting the proxy
// narrows the mesh to the services it lists (egress scoping), after
// exportTo narrowed it to what the proxy's namespace sees (ViewFor).
func Specs(m *mesh.Mesh, p *xds.Proxy) []share.Spec {
	m = m.ViewFor(p.Namespace, p.Labels)
	visible := m.ViewKey()
	scope := m.ScopeFor(p.Namespace, p.Labels)
	m = m.Scoped(scope)
	inbound := inboundKey(m, p)
	view := share.Key("sidecar", visible, scope.Key(), p.Namespace, p.DNSDomain, share.LabelsKey(p.Labels), inbound)
	return []share.Spec{
		{TypeURL: resource.ClusterType, RouteFree: true, Key: share.Key("sidecar", visible, scope.Key(), inbound, dnsLocalityKey(m, p)), Build: func(deg *build.Degradations) []types.Resource {
			return share.List(Clusters(m, p, deg))
		}},
		{TypeURL: resource.EndpointType, RouteFree: true, Key: share.Key("sidecar", visible, scope.Key(), m.LocalityViewKey(p.LocalityView())), Build: func(*build.Degradations) []types.Resource {
			return share.List(Endpoints(m, p.LocalityView()))
		}},
		{TypeURL: resource.ListenerType, RouteFree: true, Key: view, Build: func(*build.Degradations) []types.Resource {
			return share.List(Listeners(m, p))
		}},
		{TypeURL: resource.RouteType, Key: view, Build: func(deg *build.Degradations) []types.Resource {
			return share.List(RouteConfigs(m, p, deg))
		}},
	}
}

// inboundKey names the service ports the proxy's workload serves: inbound
// clusters and filter chains are all a proxy's IP changes.
func inboundKey(m *mesh.Mesh, p *xds.Proxy) string {
	var fields []string
	for _, in := range xds.InstancesOf(m, p) {
		fields = append(fields, in.Service.Hostname, strconv.FormatUint(uint64(in.Port.Number), 10),
			string(in.Port.Protocol), strconv.FormatUint(uint64(in.TargetPort), 10))
	}
	return share.Key(append(fields, ingressPodIP(m, p))...)
}

func boolFalse() *wrapperspb.BoolValue { return wrapperspb.Bool(false) }
