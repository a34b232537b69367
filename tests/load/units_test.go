package load

import (
	"slices"
	"strings"
	"testing"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

func TestQuantileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for q, want := range map[float64]time.Duration{0.5: 50, 0.9: 90, 0.99: 99, 1: 100} {
		if got := quantile(d, q); got != want {
			t.Errorf("quantile(%v) = %v, want %v", q, got, want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("quantile of nothing should be 0")
	}
}

func TestParseMetricsSumsLabels(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(`# HELP x
weft_xds_nacks_total{type="a"} 2
weft_xds_nacks_total{type="b"} 3
process_resident_memory_bytes 1.5e+06
`))
	if err != nil {
		t.Fatal(err)
	}
	if m["weft_xds_nacks_total"] != 5 || m["process_resident_memory_bytes"] != 1.5e6 {
		t.Errorf("got %v", m)
	}
}

func TestDependenciesFollowRDSAndClusters(t *testing.T) {
	hcm := mustAny(t, &hcmv3.HttpConnectionManager{RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{
		Rds: &hcmv3.Rds{RouteConfigName: "9080"}}})
	l := &listenerv3.Listener{Name: "l", ApiListener: &listenerv3.ApiListener{ApiListener: hcm}}
	deps, err := dependencies(&discovery.DiscoveryResponse{TypeUrl: resource.ListenerType, Resources: []*anypb.Any{mustAny(t, l)}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(deps[resource.RouteType], []string{"9080"}) {
		t.Errorf("RDS deps = %v", deps[resource.RouteType])
	}
	rc := &routev3.RouteConfiguration{VirtualHosts: []*routev3.VirtualHost{{Routes: []*routev3.Route{{
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_WeightedClusters{
			WeightedClusters: &routev3.WeightedCluster{Clusters: []*routev3.WeightedCluster_ClusterWeight{{Name: "b"}, {Name: "a"}}}}}}}}}}}
	deps, err = dependencies(&discovery.DiscoveryResponse{TypeUrl: resource.RouteType, Resources: []*anypb.Any{mustAny(t, rc)}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(deps[resource.ClusterType], []string{"a", "b"}) {
		t.Errorf("CDS deps = %v", deps[resource.ClusterType])
	}
}

func TestDiff(t *testing.T) {
	sub, unsub := diff([]string{"a", "b"}, []string{"b", "c"})
	if !slices.Equal(sub, []string{"c"}) || !slices.Equal(unsub, []string{"a"}) {
		t.Errorf("diff = %v, %v", sub, unsub)
	}
}

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:1": true, "[::1]:1": true, "localhost:1": true, "10.0.0.1:1": false, "example.com:1": false} {
		if err := checkLoopback(addr); (err == nil) != ok {
			t.Errorf("checkLoopback(%s) = %v", addr, err)
		}
	}
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
