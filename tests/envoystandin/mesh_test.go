package envoystandin

import (
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Names in the test mesh, shaped like weftd's.
const (
	clusterV1       = "outbound|9080|v1|reviews.default.svc.cluster.local"
	clusterV2       = "outbound|9080|v2|reviews.default.svc.cluster.local"
	clusterInbound  = "inbound|9080||"
	routeOutbound   = "9080"
	routeInbound    = "inbound|9081||"
	listenerOut     = "0.0.0.0_9080"
	listenerInbound = "virtualInbound"
)

// mesh describes one version of the test config.
type mesh struct {
	version string
	// w1, w2 split the outbound route between v1 and v2.
	w1, w2 uint32
	// inboundRDS adds a second inbound filter chain whose HCM uses RDS.
	inboundRDS bool
	// badCluster adds a cluster that fails Envoy's validation.
	badCluster bool
}

func (m mesh) snapshot(t *testing.T) *cache.Snapshot {
	t.Helper()
	clusters := []types.Resource{edsCluster(clusterV1, clusterV1), edsCluster(clusterV2, ""), inboundStaticCluster(clusterInbound)}
	if m.badCluster {
		bad := edsCluster("outbound|9080|bad|reviews.default.svc.cluster.local", "")
		bad.ConnectTimeout = durationpb.New(-time.Second)
		clusters = append(clusters, bad)
	}
	routes := []types.Resource{weightedRoute(routeOutbound, m.w1, m.w2)}
	if m.inboundRDS {
		routes = append(routes, inboundRoute(routeInbound))
	}
	snap, err := cache.NewSnapshot(m.version, map[resource.Type][]types.Resource{
		resource.ClusterType:  clusters,
		resource.EndpointType: {endpoints(clusterV1, "10.244.1.2"), endpoints(clusterV2, "10.244.1.3")},
		resource.ListenerType: {outboundListener(t), inboundListener(t, m.inboundRDS)},
		resource.RouteType:    routes,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The bad cluster has no endpoints: a consistent snapshot would need
	// them, but the stand-in rejects the cluster and never asks.
	if err := snap.Consistent(); err != nil && !m.badCluster {
		t.Fatalf("test snapshot: %v", err)
	}
	return snap
}

func adsSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{ResourceApiVersion: corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}}
}

func edsCluster(name, serviceName string) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name: name, ConnectTimeout: durationpb.New(time.Second),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsSource(), ServiceName: serviceName},
	}
}

func inboundStaticCluster(name string) *clusterv3.Cluster {
	c := &clusterv3.Cluster{
		Name: name, ConnectTimeout: durationpb.New(time.Second),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
	}
	c.LoadAssignment = endpoints(name, "127.0.0.1")
	return c
}

func endpoints(cluster, ip string) *endpointv3.ClusterLoadAssignment {
	return &endpointv3.ClusterLoadAssignment{ClusterName: cluster, Endpoints: []*endpointv3.LocalityLbEndpoints{{
		LoadBalancingWeight: wrapperspb.UInt32(1),
		LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
			Address: sockAddr(ip, 9080)}}}},
	}}}
}

func sockAddr(ip string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}
}

func weightedRoute(name string, w1, w2 uint32) *routev3.RouteConfiguration {
	action := &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_WeightedClusters{WeightedClusters: &routev3.WeightedCluster{
		Clusters: []*routev3.WeightedCluster_ClusterWeight{
			{Name: clusterV1, Weight: wrapperspb.UInt32(w1)},
			{Name: clusterV2, Weight: wrapperspb.UInt32(w2)},
		}}}}
	return routeConfig(name, "reviews.default.svc.cluster.local:9080", action)
}

func inboundRoute(name string) *routev3.RouteConfiguration {
	return routeConfig(name, "*", &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: clusterInbound}})
}

func routeConfig(name, domain string, action *routev3.RouteAction) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{Name: name, VirtualHosts: []*routev3.VirtualHost{{
		Name: domain, Domains: []string{domain},
		Routes: []*routev3.Route{{
			Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
			Action: &routev3.Route_Route{Route: action},
		}},
	}}}
}

// hcm is an HTTP connection manager filter, with RDS when rds is set and
// an inline route config otherwise.
func hcm(t *testing.T, rds string) *listenerv3.Filter {
	h := &hcmv3.HttpConnectionManager{
		StatPrefix:  "http",
		HttpFilters: []*hcmv3.HttpFilter{{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(t, &routerv3.Router{})}}},
	}
	if rds != "" {
		h.RouteSpecifier = &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{ConfigSource: adsSource(), RouteConfigName: rds}}
	} else {
		h.RouteSpecifier = &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: inboundRoute("inbound|9080||")}
	}
	return &listenerv3.Filter{Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(t, h)}}
}

func outboundListener(t *testing.T) *listenerv3.Listener {
	return &listenerv3.Listener{Name: listenerOut, Address: sockAddr("0.0.0.0", 9080),
		FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{hcm(t, routeOutbound)}}}}
}

// inboundListener has a TCP chain first, so an HCM is found only by walking
// every chain, then an inline HCM, then optionally one using RDS.
func inboundListener(t *testing.T, withRDS bool) *listenerv3.Listener {
	tcp := &listenerv3.Filter{Name: "envoy.filters.network.tcp_proxy", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(t,
		&tcpv3.TcpProxy{StatPrefix: "tcp", ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: clusterInbound}})}}
	l := &listenerv3.Listener{Name: listenerInbound, Address: sockAddr("0.0.0.0", 15006), FilterChains: []*listenerv3.FilterChain{
		{FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: wrapperspb.UInt32(9070)}, Filters: []*listenerv3.Filter{tcp}},
		{FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: wrapperspb.UInt32(9080)}, Filters: []*listenerv3.Filter{hcm(t, "")}},
	}}
	if withRDS {
		l.FilterChains = append(l.FilterChains, &listenerv3.FilterChain{
			FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: wrapperspb.UInt32(9081)}, Filters: []*listenerv3.Filter{hcm(t, routeInbound)}})
	}
	return l
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
