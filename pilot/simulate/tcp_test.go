package simulate

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/xds/build"
)

func lisTCPProxy(tp *tcpv3.TcpProxy) *listenerv3.Filter {
	return &listenerv3.Filter{Name: filterTCPProxy, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: build.MustAny(tp)}}
}

func lisTCPFilter(cluster string) *listenerv3.Filter {
	return lisTCPProxy(&tcpv3.TcpProxy{StatPrefix: cluster, ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: cluster}})
}

func lisWeighted(ws ...*tcpv3.TcpProxy_WeightedCluster_ClusterWeight) *tcpv3.TcpProxy {
	return &tcpv3.TcpProxy{StatPrefix: "split", ClusterSpecifier: &tcpv3.TcpProxy_WeightedClusters{
		WeightedClusters: &tcpv3.TcpProxy_WeightedCluster{Clusters: ws}}}
}

func lisWeight(name string, w uint32) *tcpv3.TcpProxy_WeightedCluster_ClusterWeight {
	return &tcpv3.TcpProxy_WeightedCluster_ClusterWeight{Name: name, Weight: w}
}

// Envoy: tcp_proxy — cluster sends every connection to one cluster;
// weighted_clusters picks one per connection in proportion to weight.
func TestTCPProxyClusters(t *testing.T) {
	cases := []struct {
		name string
		tp   *tcpv3.TcpProxy
		want []WeightedCluster
	}{
		{"one cluster", &tcpv3.TcpProxy{StatPrefix: "a", ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: "outbound|3306||mysql"}},
			[]WeightedCluster{{Name: "outbound|3306||mysql", Weight: 1, Probability: 1}}},
		{"weighted", lisWeighted(lisWeight("v1", 75), lisWeight("v2", 25)),
			[]WeightedCluster{{Name: "v1", Weight: 75, Probability: 0.75}, {Name: "v2", Weight: 25, Probability: 0.25}}},
		{"weights need not sum to 100", lisWeighted(lisWeight("v1", 1), lisWeight("v2", 3)),
			[]WeightedCluster{{Name: "v1", Weight: 1, Probability: 0.25}, {Name: "v2", Weight: 3, Probability: 0.75}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := &Result{}
			if err := NewConfig().tcpProxy(lisTCPProxy(tc.tp), lisIn(3306), res); err != nil {
				t.Fatal(err)
			}
			if len(res.Action.Clusters) != len(tc.want) {
				t.Fatalf("clusters %v, want %v", res.Action.Clusters, tc.want)
			}
			for i, w := range tc.want {
				if res.Action.Clusters[i] != w {
					t.Fatalf("clusters %v, want %v", res.Action.Clusters, tc.want)
				}
			}
		})
	}
}

// Envoy: tcp_proxy max_connect_attempts counts all attempts (default
// one), so n attempts are n-1 retries on connect failure; idle_timeout
// defaults to an hour.
func TestTCPProxyConnectAttempts(t *testing.T) {
	tp := &tcpv3.TcpProxy{StatPrefix: "a", ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: "c"},
		MaxConnectAttempts: wrapperspb.UInt32(3), IdleTimeout: durationpb.New(0)}
	res := &Result{}
	if err := NewConfig().tcpProxy(lisTCPProxy(tp), lisIn(80), res); err != nil {
		t.Fatal(err)
	}
	if r := res.Action.Retry; r == nil || r.Attempts != 2 || r.RetryOn[0] != "connect-failure" {
		t.Fatalf("retry %+v, want 2 on connect-failure", r)
	}
	res = &Result{}
	if err := NewConfig().tcpProxy(lisTCPFilter("c"), lisIn(80), res); err != nil || res.Action.Retry != nil {
		t.Fatalf("retry %+v, err %v; one attempt is no retry", res.Action.Retry, err)
	}
}

// Fields that change where a connection goes but are not modelled are
// reported by name.
func TestTCPProxyCannot(t *testing.T) {
	withMeta := lisWeight("v1", 1)
	withMeta.MetadataMatch = &corev3.Metadata{}
	cases := map[string]*listenerv3.Filter{
		"hash_policy": lisTCPProxy(&tcpv3.TcpProxy{StatPrefix: "a", ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: "c"},
			HashPolicy: []*typev3.HashPolicy{{}}}),
		"tunneling_config": lisTCPProxy(&tcpv3.TcpProxy{StatPrefix: "a", ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: "c"},
			TunnelingConfig: &tcpv3.TcpProxy_TunnelingConfig{Hostname: "h"}}),
		"metadata_match": lisTCPProxy(lisWeighted(withMeta)),
		"no cluster":     lisTCPProxy(&tcpv3.TcpProxy{StatPrefix: "a"}),
		"zero weights":   lisTCPProxy(lisWeighted(lisWeight("v1", 0))),
		"not a TcpProxy": {Name: filterTCPProxy, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: build.MustAny(&corev3.Address{})}},
	}
	for name, f := range cases {
		err := NewConfig().tcpProxy(f, lisIn(80), &Result{})
		t.Run(name, func(t *testing.T) { lisWantCannot(t, err) })
	}
}
