package build

import (
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// HashPolicy derives the route's hash policy from the consistent-hash
// setting of the first destination that has one, since Envoy hashes per
// route while Istio configures hashing per DestinationRule. Pass only the
// destinations that receive traffic (mesh.TrafficSplit), as Istio does.
func HashPolicy(dests []mesh.Destination, m *mesh.Mesh, opts Options, deg *Degradations) []*routev3.RouteAction_HashPolicy {
	if m == nil {
		return nil
	}
	for _, d := range dests {
		c := m.Cluster(ResolvePort(d.Cluster, opts))
		if c == nil || c.Policy.LoadBalancer == nil || c.Policy.LoadBalancer.Hash == nil {
			continue
		}
		return hashPolicy(c.Policy.LoadBalancer.Hash, opts, deg)
	}
	return nil
}

func hashPolicy(h *mesh.HashKey, opts Options, deg *Degradations) []*routev3.RouteAction_HashPolicy {
	if opts.Proxyless && h.Header == "" {
		// grpc-go hashes on headers or its channel id only.
		deg.Add("consistentHash on cookie/sourceIp/query parameter approximated by the gRPC channel id")
		return []*routev3.RouteAction_HashPolicy{{PolicySpecifier: &routev3.RouteAction_HashPolicy_FilterState_{
			FilterState: &routev3.RouteAction_HashPolicy_FilterState{Key: "io.grpc.channel_id"}}}}
	}
	switch {
	case h.Header != "":
		return []*routev3.RouteAction_HashPolicy{{PolicySpecifier: &routev3.RouteAction_HashPolicy_Header_{
			Header: &routev3.RouteAction_HashPolicy_Header{HeaderName: h.Header}}}}
	case h.Cookie != "":
		c := &routev3.RouteAction_HashPolicy_Cookie{Name: h.Cookie, Path: h.CookiePath}
		if h.CookieTTL > 0 {
			c.Ttl = durationpb.New(h.CookieTTL)
		}
		return []*routev3.RouteAction_HashPolicy{{PolicySpecifier: &routev3.RouteAction_HashPolicy_Cookie_{Cookie: c}}}
	case h.SourceIP:
		return []*routev3.RouteAction_HashPolicy{{PolicySpecifier: &routev3.RouteAction_HashPolicy_ConnectionProperties_{
			ConnectionProperties: &routev3.RouteAction_HashPolicy_ConnectionProperties{SourceIp: true}}}}
	case h.QueryParam != "":
		return []*routev3.RouteAction_HashPolicy{{PolicySpecifier: &routev3.RouteAction_HashPolicy_QueryParameter_{
			QueryParameter: &routev3.RouteAction_HashPolicy_QueryParameter{Name: h.QueryParam}}}}
	}
	return nil
}
