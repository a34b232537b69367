package server

import (
	"context"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
)

const (
	defaultCluster = "outbound|9080||reviews.default.svc.cluster.local"
	v1Cluster      = "outbound|9080|v1|reviews.default.svc.cluster.local"
)

// canaryStart is testMesh plus a DestinationRule and a VirtualService that
// sends everything to a subset cluster the client has never seen.
func canaryStart(t *testing.T) *mesh.Mesh {
	return meshFromYAML(t, "2", reviewsYAML+`
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec: {host: reviews, subsets: [{name: v1, labels: {}}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec: {hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v1}}]}]}
`)
}

// adsClient plays grpc-go's part on one ADS stream.
type adsClient struct {
	t       *testing.T
	s       discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	pending []*discovery.DiscoveryResponse
	last    map[string]*discovery.DiscoveryResponse
	first   bool
}

func (c *adsClient) request(typeURL string, names ...string) {
	req := &discovery.DiscoveryRequest{TypeUrl: typeURL, ResourceNames: names}
	if !c.first {
		req.Node, c.first = grpcNode(), true
	}
	if prev := c.last[typeURL]; prev != nil {
		req.VersionInfo, req.ResponseNonce = prev.VersionInfo, prev.Nonce
	}
	if err := c.s.Send(req); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next response of typeURL, keeping others for later.
func (c *adsClient) next(typeURL string) *discovery.DiscoveryResponse {
	for i, r := range c.pending {
		if r.TypeUrl == typeURL {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			c.last[typeURL] = r
			return r
		}
	}
	for range 20 {
		r := recv(c.t, c.s)
		if r.TypeUrl == typeURL {
			c.last[typeURL] = r
			return r
		}
		c.pending = append(c.pending, r)
	}
	c.t.Fatalf("no %s response", typeURL)
	return nil
}

func routeOf(t *testing.T, r *discovery.DiscoveryResponse) *routev3.RouteConfiguration {
	t.Helper()
	var rc routev3.RouteConfiguration
	if len(r.Resources) != 1 || r.Resources[0].UnmarshalTo(&rc) != nil {
		t.Fatalf("want one RouteConfiguration, got %d resources", len(r.Resources))
	}
	return &rc
}

// When new routes need a cluster the client has no endpoints for, the
// client first gets its old routes plus a warm route to that cluster, and
// the new routes only after it acknowledged the cluster's endpoints.
func TestNewClusterIsWarmedBeforeRoutesUseIt(t *testing.T) {
	f := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := discovery.NewAggregatedDiscoveryServiceClient(f.conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &adsClient{t: t, s: s, last: map[string]*discovery.DiscoveryResponse{}}
	c.request(resource.ListenerType, target)
	c.next(resource.ListenerType)
	c.request(resource.ListenerType, target)
	c.request(resource.RouteType, target)
	if got := routeOf(t, c.next(resource.RouteType)).VirtualHosts[0].Routes[0].GetRoute().GetCluster(); got != defaultCluster {
		t.Fatalf("initial route goes to %q, want %q", got, defaultCluster)
	}
	c.request(resource.RouteType, target)
	c.request(resource.EndpointType, defaultCluster)
	c.next(resource.EndpointType)
	c.request(resource.EndpointType, defaultCluster) // ACK

	f.srv.Update(canaryStart(t))
	step := routeOf(t, c.next(resource.RouteType)).VirtualHosts[0].Routes
	if got := step[0].GetRoute().GetCluster(); got != defaultCluster {
		t.Fatalf("warming step moved traffic to %q before %s was warm", got, v1Cluster)
	}
	warm := step[len(step)-1]
	if warm.GetMatch().GetPath() != grpcgen.WarmPath || !referencesCluster(warm, v1Cluster) {
		t.Fatalf("warming step lacks a warm route to %s: %v", v1Cluster, warm)
	}

	c.request(resource.RouteType, target) // ACK the warming step
	// grpc-go subscribes to the warm route's cluster; the default cluster's
	// endpoints did not change, so only v1's are sent.
	c.request(resource.EndpointType, defaultCluster, v1Cluster)
	if eds := c.next(resource.EndpointType); len(eds.Resources) != 1 {
		t.Fatalf("EDS carries %d clusters, want v1's only", len(eds.Resources))
	}
	c.request(resource.EndpointType, defaultCluster, v1Cluster) // ...and ACKs: v1 is warm now
	// Further warming steps may come first (they never route to v1); then the new routes.
	for i := 0; ; i++ {
		routes := routeOf(t, c.next(resource.RouteType)).VirtualHosts[0].Routes
		if referencesCluster(routes[0], v1Cluster) {
			if referencesCluster(routes[0], defaultCluster) {
				t.Fatalf("new route still mixes in the old cluster: %v", routes[0])
			}
			return
		}
		if i == 3 {
			t.Fatalf("the new routes never arrived after %s was acknowledged", v1Cluster)
		}
		c.request(resource.RouteType, target)
	}
}

func referencesCluster(r *routev3.Route, name string) bool {
	a := r.GetRoute()
	if a.GetCluster() == name {
		return true
	}
	for _, wc := range a.GetWeightedClusters().GetClusters() {
		if wc.Name == name {
			return true
		}
	}
	return false
}

// A cluster the client stopped subscribing to is cold again: routing back
// to it must go through a warming step.
func TestUnsubscribedClusterIsColdAgain(t *testing.T) {
	ps := newProxyState(&xds.Proxy{ID: "p", Kind: xds.KindProxyless}, Identity{})
	ps.recordEDSSent("n1", []string{defaultCluster, v1Cluster})
	ps.recordEDSAck("n1")
	ps.keepSubscribed([]string{defaultCluster})
	ps.final = xds.Resources{} // the client has route r, so RPCs may be in flight on it
	ps.final.Add(resource.RouteType, routeTo("r", defaultCluster))
	res := xds.Resources{}
	res.Add(resource.RouteType, &routev3.RouteConfiguration{Name: "r", VirtualHosts: []*routev3.VirtualHost{{Name: "vh",
		Routes: []*routev3.Route{{Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: v1Cluster}}}}}}}})
	if cold := ps.coldClusters(res); len(cold) != 1 || cold[0] != v1Cluster {
		t.Fatalf("cold clusters %v, want [%s]", cold, v1Cluster)
	}
	ps.recordEDSSent("n2", []string{v1Cluster})
	ps.recordEDSAck("n2")
	ps.forget([]string{v1Cluster})
	if cold := ps.coldClusters(res); len(cold) != 1 {
		t.Fatalf("after a delta unsubscribe, cold clusters %v, want [%s]", cold, v1Cluster)
	}
}

func routeTo(name, cluster string) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{Name: name, VirtualHosts: []*routev3.VirtualHost{{Name: name, Domains: []string{"*"},
		Routes: []*routev3.Route{{Action: &routev3.Route_Route{Route: &routev3.RouteAction{
			ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}}}}}}}}
}

// Only routes the client already has can carry in-flight RPCs: a listener
// asked for later may route to clusters it has never warmed without a
// warming step, while an existing route moving to such a cluster gets one.
func TestOnlyExistingRoutesNeedWarming(t *testing.T) {
	ps := newProxyState(&xds.Proxy{ID: "p", Kind: xds.KindProxyless}, Identity{})
	ps.final = xds.Resources{}
	ps.final.Add(resource.RouteType, routeTo("a:9080", "warm"))
	ps.edsAcked["warm"] = true
	now := time.Now()

	added := xds.Resources{}
	added.Add(resource.RouteType, routeTo("a:9080", "warm"))
	added.Add(resource.RouteType, routeTo("b:9080", "cold"))
	if step, _ := ps.warmingStep(added, now); step != nil {
		t.Fatal("a new listener's routes were held back for warming")
	}
	moved := xds.Resources{}
	moved.Add(resource.RouteType, routeTo("a:9080", "cold"))
	step, _ := ps.warmingStep(moved, now)
	if step == nil {
		t.Fatal("an existing route moved to a cold cluster without warming")
	}
	if got := step[resource.RouteType]["a:9080"].(*routev3.RouteConfiguration); got.VirtualHosts[0].Routes[0].GetRoute().GetCluster() != "warm" {
		t.Fatalf("warming step does not keep the old route: %v", got)
	}
}
