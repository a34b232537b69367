package grpcapp

import (
	"context"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// clientResources is the minimal accepted client-side set for one cluster.
type clientResources struct {
	lis     *listenerv3.Listener
	route   types.Resource
	cluster *clusterv3.Cluster
	cla     types.Resource
}

func goodClientResources(t *testing.T) clientResources {
	return clientResources{
		lis:     clientListener(t, target, routeName),
		route:   routeConfig(routeName, target, toCluster(clusterV1)),
		cluster: edsCluster(clusterV1),
		cla:     loadAssignment(t, clusterV1, "127.0.0.9:1"),
	}
}

func (r clientResources) snapshot() map[resource.Type][]types.Resource {
	return map[resource.Type][]types.Resource{
		resource.ListenerType: {r.lis}, resource.RouteType: {r.route},
		resource.ClusterType: {r.cluster}, resource.EndpointType: {r.cla},
	}
}

// TestGRPCNacks pins resources grpc-go v1.85 rejects where Envoy would not;
// weftd must never generate these for proxyless proxies.
func TestGRPCNacks(t *testing.T) {
	cases := map[string]struct {
		mutate  func(*clientResources)
		typeURL string
		reason  string // substring of grpc-go's NACK message
	}{
		"STATIC cluster": {func(r *clientResources) {
			r.cluster.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}
		}, resource.ClusterType, "unsupported cluster type"},
		"MAGLEV lb policy": {func(r *clientResources) {
			r.cluster.LbPolicy = clusterv3.Cluster_MAGLEV
		}, resource.ClusterType, "unexpected lbPolicy"},
		"EDS config source not ADS": {func(r *clientResources) {
			r.cluster.EdsClusterConfig.EdsConfig = &corev3.ConfigSource{
				ConfigSourceSpecifier: &corev3.ConfigSource_ApiConfigSource{
					ApiConfigSource: &corev3.ApiConfigSource{ApiType: corev3.ApiConfigSource_GRPC}}}
		}, resource.ClusterType, "eds"},
		"num_retries 0": {func(r *clientResources) {
			r.route = routeConfig(routeName, target, withRetry(toCluster(clusterV1), "unavailable", 0))
		}, resource.RouteType, "num_retries"},
		"duplicate endpoint": {func(r *clientResources) {
			r.cla = loadAssignment(t, clusterV1, "127.0.0.9:1", "127.0.0.9:1")
		}, resource.EndpointType, "duplicate"},
		"locality unset": {func(r *clientResources) {
			cla := loadAssignment(t, clusterV1, "127.0.0.9:1")
			cla.Endpoints[0].Locality = nil
			r.cla = cla
		}, resource.EndpointType, "locality without ID"},
		"endpoint weight 0": {func(r *clientResources) {
			cla := loadAssignment(t, clusterV1, "127.0.0.9:1")
			cla.Endpoints[0].LbEndpoints[0].LoadBalancingWeight = wrapperspb.UInt32(0)
			r.cla = cla
		}, resource.EndpointType, "endpoint with zero weight"},
		"same locality twice in a priority": {func(r *clientResources) {
			cla := loadAssignment(t, clusterV1, "127.0.0.9:1")
			cla.Endpoints = append(cla.Endpoints, loadAssignment(t, clusterV1, "127.0.0.9:2").Endpoints...)
			r.cla = cla
		}, resource.EndpointType, "duplicate locality"},
		"priority gap": {func(r *clientResources) {
			cla := loadAssignment(t, clusterV1, "127.0.0.9:1")
			cla.Endpoints[0].Priority = 1
			r.cla = cla
		}, resource.EndpointType, "priority 0 missing"},
		"no http filters": {func(r *clientResources) {
			hcm := &hcmv3.HttpConnectionManager{RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
				ConfigSource: adsSource(), RouteConfigName: routeName}}}
			r.lis = &listenerv3.Listener{Name: target, ApiListener: &listenerv3.ApiListener{ApiListener: mustAny(t, hcm)}}
		}, resource.ListenerType, "http filters list is empty"},
		"last filter not router": {func(r *clientResources) {
			hcm := &hcmv3.HttpConnectionManager{RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
				ConfigSource: adsSource(), RouteConfigName: routeName}},
				HttpFilters: []*hcmv3.HttpFilter{faultDelayFilter(t, time.Millisecond)}}
			r.lis = &listenerv3.Listener{Name: target, ApiListener: &listenerv3.ApiListener{ApiListener: mustAny(t, hcm)}}
		}, resource.ListenerType, "is not a terminal filter"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := goodClientResources(t)
			tc.mutate(&r)
			msg := firstNack(t, r.snapshot(), tc.typeURL)
			t.Logf("NACK: %s", msg)
			if !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.reason)) {
				t.Errorf("NACK %q does not mention %q", msg, tc.reason)
			}
		})
	}
}

// firstNack serves res to a fresh client and returns the first NACK of typeURL.
func firstNack(t *testing.T, res map[resource.Type][]types.Resource, typeURL string) string {
	ads := startADS(t)
	ads.set(t, res)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := NewClient(ctx, ClientOptions{Target: target, XDSAddr: ads.addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 200 && ctx.Err() == nil; i++ {
		callCtx, callCancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, _ = c.Call(callCtx, nil) // drives the channel; the NACK is what we want
		callCancel()
		for _, n := range ads.nackList() {
			if strings.HasPrefix(n, typeURL+": ") {
				return strings.TrimPrefix(n, typeURL+": ")
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("no %s NACK within bounds; NACKs seen: %q", typeURL, ads.nackList())
	return ""
}

// TestLocalityWithoutWeightIsIgnored: no NACK, but the endpoints are unusable.
func TestLocalityWithoutWeightIsIgnored(t *testing.T) {
	ads := startADS(t)
	b := startTestBackend(t, ads, "reviews-v1", "127.0.0.2", false)
	r := goodClientResources(t)
	cla := loadAssignment(t, clusterV1, b.Addr())
	cla.Endpoints[0].LoadBalancingWeight = nil
	r.cla = cla
	res := r.snapshot()
	res[resource.ListenerType] = append(res[resource.ListenerType], serverListener(t, b.Addr()))
	ads.set(t, res)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ctx, ClientOptions{Target: target, XDSAddr: ads.addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := c.Run(ctx, RunOptions{N: 3, PerCallTimeout: time.Second})
	if got.OK() != 0 {
		t.Fatalf("weightless locality served calls: %v", got)
	}
	t.Logf("weightless locality: %v; NACKs: %q", got, ads.nackList())
}

// TestServerListenerAddressMismatch: the Listener is ACKed, but the server
// goes NOT_SERVING with an error naming both addresses.
func TestServerListenerAddressMismatch(t *testing.T) {
	ads := startADS(t)
	b := startTestBackend(t, ads, "reviews-v1", "127.0.0.2", false)
	lis := serverListener(t, b.Addr())
	lis.Address.GetSocketAddress().Address = "127.0.0.99"
	ads.set(t, map[resource.Type][]types.Resource{resource.ListenerType: {lis}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if _, err := b.Mode(); err != nil {
			t.Logf("NOT_SERVING: %v; NACKs: %q", err, ads.nackList())
			if !strings.Contains(err.Error(), "does not match") {
				t.Errorf("unexpected error: %v", err)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server never reported the mismatch")
}

// TestServerListenerPortZeroMatchesAnyPort: port 0 in the Listener address is a wildcard.
func TestServerListenerPortZeroMatchesAnyPort(t *testing.T) {
	ads := startADS(t)
	b := startTestBackend(t, ads, "reviews-v1", "127.0.0.2", false)
	lis := serverListener(t, b.Addr())
	lis.Address.GetSocketAddress().PortSpecifier = &corev3.SocketAddress_PortValue{PortValue: 0}
	ads.set(t, map[resource.Type][]types.Resource{resource.ListenerType: {lis}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestServerRouteMustBeNonForwarding: a server route with a Route action is
// accepted (no NACK, SERVING) but every RPC matching it fails.
func TestServerRouteMustBeNonForwarding(t *testing.T) {
	ads := startADS(t)
	b := startTestBackend(t, ads, "reviews-v1", "127.0.0.2", false)
	r := goodClientResources(t)
	r.cla = loadAssignment(t, clusterV1, b.Addr())
	res := r.snapshot()
	lis := serverListener(t, b.Addr())
	hcm := &hcmv3.HttpConnectionManager{}
	if err := lis.FilterChains[0].Filters[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
		t.Fatal(err)
	}
	hcm.GetRouteConfig().VirtualHosts[0].Routes[0].Action = routeConfig("x", "*", toCluster("c")).VirtualHosts[0].Routes[0].Action
	lis.FilterChains[0].Filters[0].ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(t, hcm)}
	res[resource.ListenerType] = append(res[resource.ListenerType], lis)
	ads.set(t, res)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.WaitServing(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ctx, ClientOptions{Target: target, XDSAddr: ads.addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := c.Run(ctx, RunOptions{N: 3, PerCallTimeout: time.Second})
	t.Logf("forwarding route on server: %v; NACKs: %q", got, ads.nackList())
	if got.OK() != 0 {
		t.Fatalf("want all calls to fail, got %v", got)
	}
}
