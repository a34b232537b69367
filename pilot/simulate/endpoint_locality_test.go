package simulate

import (
	"slices"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Envoy's priority levels: all traffic goes to the highest priority
// (lowest number) while it is healthy enough, and with
// locality_weighted_lb_config localities within it share traffic by their
// load_balancing_weight. The trace lists each priority's localities; a
// cluster with locality_weighted_lb_config is simulated, not refused.
func TestEndpointLocalities(t *testing.T) {
	loc := func(zone string, prio, weight uint32, addr string) *endpointv3.LocalityLbEndpoints {
		return &endpointv3.LocalityLbEndpoints{Locality: &corev3.Locality{Region: "us-east", Zone: zone}, Priority: prio,
			LoadBalancingWeight: wrapperspb.UInt32(weight), LbEndpoints: []*endpointv3.LbEndpoint{lbEp(addr, 80, corev3.HealthStatus_HEALTHY)}}
	}
	for _, tc := range []struct {
		name     string
		weighted bool
		want     []string
	}{
		{"priorities", false, []string{
			"c priority 0: us-east/a/ [10.0.0.1:80]",
			"c priority 1: us-east/b/ [10.0.0.2:80], us-east/c/ [10.0.0.3:80]",
			"c: locality weights unused: no locality_weighted_lb_config, so hosts of a priority are balanced as one set"}},
		{"locality weighted", true, []string{
			"c priority 0: us-east/a/ weight 2 [10.0.0.1:80]",
			"c priority 1: us-east/b/ weight 80 [10.0.0.2:80], us-east/c/ weight 20 [10.0.0.3:80]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := edsCluster("c", "c")
			if tc.weighted {
				cl.CommonLbConfig = &clusterv3.Cluster_CommonLbConfig{LocalityConfigSpecifier: &clusterv3.Cluster_CommonLbConfig_LocalityWeightedLbConfig_{
					LocalityWeightedLbConfig: &clusterv3.Cluster_CommonLbConfig_LocalityWeightedLbConfig{}}}
			}
			c := configOf(cl)
			c.Endpoints["c"] = &endpointv3.ClusterLoadAssignment{ClusterName: "c", Endpoints: []*endpointv3.LocalityLbEndpoints{
				loc("a", 0, 2, "10.0.0.1"), loc("b", 1, 80, "10.0.0.2"), loc("c", 1, 20, "10.0.0.3")}}
			res := run(t, c, "c", httpReq)
			var got []string
			for _, s := range res.Trace {
				if s.Stage == "endpoints" && strings.HasPrefix(s.Detail, "c priority") || strings.Contains(s.Detail, "locality weights") {
					got = append(got, s.Detail)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("trace %q\nwant %q", got, tc.want)
			}
			if eps := res.Upstreams[0].Endpoints; eps[1].Priority != 1 || eps[1].LocalityWeight != 80 {
				t.Fatalf("endpoints %+v", eps)
			}
		})
	}
}
