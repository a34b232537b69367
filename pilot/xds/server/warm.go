package server

import (
	"sort"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
)

// warmTimeout bounds how long new routes wait for their clusters to warm.
const warmTimeout = 3 * time.Second

// Make-before-break for proxyless clients: grpc-go builds a cluster's
// balancer only once a route references it, and an RPC routed to a cluster
// whose balancer does not exist yet fails ("unknown cluster selected").
// So when new routes reference clusters the client has not yet received
// endpoints for, weft first sends the client's current routes plus a route
// no RPC matches that references the new clusters, and sends the new routes
// once the client has acknowledged endpoints for them.

// warms reports whether the proxy needs make-before-break: Envoy warms
// clusters itself, so only proxyless clients keep the state below.
func (ps *proxyState) warms() bool { return ps.Proxy().Kind == xds.KindProxyless }

// coldClusters are clusters that routes the client already has would now
// send to and the client has not acknowledged endpoints for. A route
// configuration the client never had carries no RPCs yet: grpc-go waits for
// its clusters, so it needs no warming.
func (ps *proxyState) coldClusters(res xds.Resources) []string {
	var cold []string
	for c := range referencedClusters(res, ps.final[resource.RouteType]) {
		if !ps.edsAcked[c] {
			cold = append(cold, c)
		}
	}
	sort.Strings(cold)
	return cold
}

// warmingStep returns the intermediate resources for a proxyless proxy, or
// nil when res can be sent as it is, and the final config the step keeps
// routes of.
func (ps *proxyState) warmingStep(res xds.Resources, now time.Time) (step, prev xds.Resources) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.Proxy().Kind != xds.KindProxyless || ps.final == nil {
		return nil, nil // a first config has no in-flight RPCs to break
	}
	cold := ps.coldClusters(res)
	if len(cold) == 0 {
		ps.warmingSince = time.Time{}
		return nil, nil
	}
	if ps.warmingSince.IsZero() {
		ps.warmingSince = now
	}
	if now.Sub(ps.warmingSince) > warmTimeout {
		ps.warmingSince = time.Time{}
		return nil, nil // give up waiting rather than hold config back forever
	}
	return withPreviousRoutes(res, ps.final, cold), ps.final
}

// withPreviousRoutes is res with each route configuration the client
// already has replaced by that old one plus a warm route to cold.
func withPreviousRoutes(res, prev xds.Resources, cold []string) xds.Resources {
	out := xds.Resources{}
	for t, byName := range res {
		for _, r := range byName {
			out.Add(t, r)
		}
	}
	for name, old := range prev[resource.RouteType] {
		rc := proto.Clone(old).(*routev3.RouteConfiguration)
		if len(rc.VirtualHosts) > 0 {
			vh := rc.VirtualHosts[0]
			vh.Routes = append(vh.Routes, grpcgen.WarmRoute(cold))
		}
		out[resource.RouteType][name] = rc
	}
	return out
}

// referencedClusters lists the clusters the route configurations of res
// named in only send to.
func referencedClusters(res xds.Resources, only map[string]types.Resource) map[string]bool {
	out := map[string]bool{}
	for name, r := range res[resource.RouteType] {
		if _, ok := only[name]; !ok {
			continue
		}
		if rc, ok := r.(*routev3.RouteConfiguration); ok {
			grpcgen.AddRouteClusters(out, rc)
		}
	}
	return out
}

// recordEDSSent remembers which clusters an EDS response carried.
func (ps *proxyState) recordEDSSent(nonce string, names []string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(ps.edsSent) > 16 {
		clear(ps.edsSent) // a client acknowledges recent nonces only
	}
	ps.edsSent[nonce] = names
}

// recordEDSAck marks the clusters of an acknowledged EDS response as warm
// and reports whether a warming step is waiting for them.
func (ps *proxyState) recordEDSAck(nonce string) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, n := range ps.edsSent[nonce] {
		ps.edsAcked[n] = true
	}
	return !ps.warmingSince.IsZero()
}

// keepSubscribed forgets warmth for clusters the proxy no longer subscribes
// to: grpc-go drops a cluster's balancer with its last route reference, so
// a later route back to it must be warmed again.
func (ps *proxyState) keepSubscribed(names []string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	subscribed := make(map[string]bool, len(names))
	for _, n := range names {
		subscribed[n] = true
	}
	for n := range ps.edsAcked {
		if !subscribed[n] {
			delete(ps.edsAcked, n)
		}
	}
}

// forget drops warmth for unsubscribed clusters (delta xDS).
func (ps *proxyState) forget(names []string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, n := range names {
		delete(ps.edsAcked, n)
	}
}
