package grpcgen

import (
	"sort"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// WarmPath is a gRPC method no application serves; the warm route matches
// only it.
const WarmPath = "/weft.internal.v1.Warm/Never"

// warmRoute references every cluster a switch could move traffic to: the
// service's own clusters and all subsets of each destination host. grpc-go
// keeps a balancer only for clusters some route references, so without it
// a blue→green flip races the new cluster's first connection and can fail
// an in-flight RPC ("unknown cluster selected"). It returns the route and
// the clusters it references, or nil when there is at most one cluster.
func warmRoute(vh *mesh.VirtualHost, m *mesh.Mesh, opts build.Options) (*routev3.Route, []string) {
	names := warmClusters(vh, m, opts)
	if len(names) < 2 {
		return nil, nil // a single cluster is already referenced by the routes
	}
	return WarmRoute(names), names
}

// WarmRoute references the named clusters from a route no RPC matches.
// Each weighs 1: grpc-go skips zero-weight entries and would build no
// balancer for them.
func WarmRoute(names []string) *routev3.Route {
	wc := &routev3.WeightedCluster{}
	for _, n := range names {
		wc.Clusters = append(wc.Clusters, &routev3.WeightedCluster_ClusterWeight{Name: n, Weight: wrapperspb.UInt32(1)})
	}
	return &routev3.Route{
		Name:   "weft-warm-clusters",
		Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: WarmPath}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_WeightedClusters{WeightedClusters: wc}}},
	}
}

// warmClusters reads every rule's destinations, not mesh.TrafficSplit:
// a zero-weight standby is exactly where the next switch sends traffic.
func warmClusters(vh *mesh.VirtualHost, m *mesh.Mesh, opts build.Options) []string {
	hosts := map[string]uint32{vh.Service.Hostname: vh.Port.Number}
	for _, r := range vh.HTTPRoutes {
		for _, d := range r.Destinations {
			hosts[d.Cluster.Host] = build.ResolvePort(d.Cluster, opts).Port
		}
	}
	var out []string
	for host, port := range hosts {
		for _, c := range m.ClustersOf(host) {
			if port == c.Key.Port && c.Service.Resolution != mesh.ResolutionPassthrough {
				out = append(out, c.Key.String())
			}
		}
	}
	sort.Strings(out)
	return out
}
