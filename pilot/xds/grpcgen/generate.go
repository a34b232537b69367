// Package grpcgen generates configuration for proxyless gRPC applications
// (grpc-go's xDS client and server). Clients ask for listeners by the exact
// target they dial ("host:port"); servers ask by the listener-name template
// "xds.istio.io/grpc/lds/inbound/%s" with %s = "IP:PORT". Listeners and
// routes are built for the names the proxy requested.
package grpcgen

import (
	"maps"
	"slices"
	"strconv"
	"sync"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// Generate builds the resources for one proxyless application given the
// listener names it has requested so far.
func Generate(m *mesh.Mesh, p *xds.Proxy, listenerNames []string) (xds.Resources, build.Degradations) {
	return share.Build(Specs(m, p, listenerNames))
}

// Specs describes a proxyless application's configuration per type, all
// shared by replicas asking for the same targets. Clusters and endpoints
// are those its routes reference (the warm route names every cluster a
// switch could reach), so the application is not sent the whole mesh.
// A Sidecar resource selecting the application narrows what it can dial.
func Specs(m *mesh.Mesh, p *xds.Proxy, listenerNames []string) []share.Spec {
	m = m.ViewFor(p.Namespace, p.Labels) // what exportTo lets the namespace see
	// Istio builds a proxyless client's listeners and clusters from its
	// SidecarScope: a target outside the Sidecar's egress hosts is not found.
	scope := scopeOf(m, p)
	m = m.Scoped(scope)
	noTLS := !p.HasCertProvider(build.CertProviderInstance)
	view := share.Key("grpc", scope.Key(), p.Namespace, p.DNSDomain, share.LabelsKey(p.Labels), strconv.FormatBool(noTLS), share.Key(listenerNames...),
		localityKey(m, p))
	// One build per view serves all four types: the clusters are the ones
	// the routes reference.
	built := sync.OnceValues(func() (viewConfig, build.Degradations) {
		var deg build.Degradations
		return buildView(m, p, listenerNames, noTLS, &deg), deg
	})
	part := func(pick func(viewConfig) []types.Resource, report bool) func(*build.Degradations) []types.Resource {
		return func(deg *build.Degradations) []types.Resource {
			v, d := built()
			if report {
				*deg = append(*deg, d...)
			}
			return pick(v)
		}
	}
	return []share.Spec{
		{TypeURL: resource.ClusterType, Key: view, Build: part(func(v viewConfig) []types.Resource { return v.cds }, false)},
		{TypeURL: resource.EndpointType, Key: view, Build: part(func(v viewConfig) []types.Resource { return v.eds }, false)},
		{TypeURL: resource.ListenerType, Key: view, Build: part(func(v viewConfig) []types.Resource { return v.lds }, true)},
		{TypeURL: resource.RouteType, Key: view, Build: part(func(v viewConfig) []types.Resource { return v.rds }, false)},
	}
}

// scopeOf is the Sidecar scope selecting p; meshes built without
// translate (unit tests) have no scopes at all.
func scopeOf(m *mesh.Mesh, p *xds.Proxy) *mesh.Scope {
	if m.Scopes == nil {
		return nil
	}
	return m.ScopeFor(p.Namespace, p.Labels)
}

// viewConfig is one proxyless view's resources by type.
type viewConfig struct{ cds, eds, lds, rds []types.Resource }

func buildView(m *mesh.Mesh, p *xds.Proxy, names []string, noTLS bool, deg *build.Degradations) viewConfig {
	var v viewConfig
	referenced := map[string]bool{}
	v.lds, v.rds = listenersAndRoutes(m, p, names, referenced, deg)
	v.cds, v.eds = clustersAndEndpoints(m, p, noTLS, referenced, deg)
	return v
}

// listenersAndRoutes builds the requested listeners and their routes, and
// adds to referenced the clusters those routes send to; an unknown target
// is left out, which grpc-go reports as "resource not found".
func listenersAndRoutes(m *mesh.Mesh, p *xds.Proxy, names []string, referenced map[string]bool, deg *build.Degradations) (lds, rds []types.Resource) {
	for _, name := range names {
		if addr, ok := ServerAddress(name); ok {
			if l := serverListener(name, addr, serverMode(m, p, addr, deg), p, deg); l != nil {
				lds = append(lds, l)
			}
			continue
		}
		if vh := resolve(m, p, name); vh != nil {
			lds = append(lds, clientListener(name))
			rds = append(rds, routeConfig(name, vh, m, p, referenced, deg))
		}
	}
	return lds, rds
}

// clustersAndEndpoints builds the named mesh clusters, in name order.
func clustersAndEndpoints(m *mesh.Mesh, p *xds.Proxy, noTLS bool, names map[string]bool, deg *build.Degradations) (cds, eds []types.Resource) {
	opts := build.Options{Proxyless: true, Mesh: m, NoTLS: noTLS}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		c := m.ClusterNamed(name)
		if c == nil {
			continue
		}
		if cl := build.Cluster(c, opts, deg); cl != nil {
			if !noTLS && cl.GetTransportSocket() == nil {
				reportMixedMTLS(c, m, deg)
			}
			cds = append(cds, cl)
			eds = append(eds, loadAssignment(cl.Name, c, m, p))
		}
	}
	return cds, eds
}

// reportMixedMTLS says when automatic mTLS fell back to plaintext for a
// whole cluster because only some endpoints take mTLS: Envoy decides per
// endpoint, grpc-go cannot, so the meshed ones are reached in plaintext
// (and those that require mTLS refuse it).
func reportMixedMTLS(c *mesh.Cluster, m *mesh.Mesh, deg *build.Degradations) {
	if (c.Policy.TLS != nil && c.Policy.TLS.Mode != mesh.TLSAuto) || c.Service.External {
		return // not automatic mTLS
	}
	meshed := 0
	eps := c.Endpoints()
	for _, ep := range eps {
		if m.PeerAuthn.AcceptsMeshTLS(ep) {
			meshed++
		}
	}
	if meshed > 0 && meshed < len(eps) {
		deg.Add("cluster " + c.Key.String() + ": " + strconv.Itoa(meshed) + " of " + strconv.Itoa(len(eps)) +
			" endpoints take mTLS, the others not; grpc-go cannot choose per endpoint, so automatic mTLS sends plaintext to all")
	}
}

// AddRouteClusters adds the clusters the routes of rc send to. The server
// uses it on route configurations a client already holds; generation
// derives the same set from the IR (build.AddVirtualHostClusters).
func AddRouteClusters(out map[string]bool, rc *routev3.RouteConfiguration) {
	for _, vh := range rc.GetVirtualHosts() {
		for _, route := range vh.GetRoutes() {
			a := route.GetRoute()
			if c := a.GetCluster(); c != "" {
				out[c] = true
			}
			for _, wc := range a.GetWeightedClusters().GetClusters() {
				out[wc.GetName()] = true
			}
		}
	}
}
