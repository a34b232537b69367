package simulate

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/proto"
)

// Envoy's circuit-breaker defaults for a thresholds entry that leaves a
// field unset.
const (
	defaultMaxConnections     = 1024
	defaultMaxPendingRequests = 1024
	defaultMaxRequests        = 1024
	defaultMaxRetries         = 3
)

// clusterType names the discovery type; a custom cluster_type (aggregate,
// dynamic forward proxy...) is refused by unsupportedCluster first.
func clusterType(cl *clusterv3.Cluster) string {
	return cl.GetType().String()
}

// unsupportedCluster names the first field weft never sets that would
// change which host Envoy picks or whether it connects.
func unsupportedCluster(cl *clusterv3.Cluster) error {
	for _, f := range []struct {
		set   bool
		field string
	}{
		{cl.GetClusterType() != nil, "cluster_type"},
		{cl.GetLbSubsetConfig() != nil, "lb_subset_config"},
		{cl.GetLoadBalancingPolicy() != nil, "load_balancing_policy"},
		{cl.GetTransportSocketMatcher() != nil, "transport_socket_matcher"},
		{len(cl.GetHealthChecks()) > 0, "health_checks"},
		{len(cl.GetFilters()) > 0, "filters"},
		{unsupportedCommonLB(cl.GetCommonLbConfig()), "common_lb_config (beyond healthy_panic_threshold and locality_weighted_lb_config)"},
	} {
		if f.set {
			return cannot("cluster %s %s", cl.GetName(), f.field)
		}
	}
	return nil
}

// unsupportedCommonLB: of common_lb_config only the panic threshold and
// locality-weighted balancing (hosts are listed with their locality's
// weight) are modelled; zone-aware balancing, fail_traffic_on_panic and the
// rest change which hosts take traffic.
func unsupportedCommonLB(c *clusterv3.Cluster_CommonLbConfig) bool {
	if c == nil {
		return false
	}
	rest := proto.Clone(c).(*clusterv3.Cluster_CommonLbConfig)
	rest.HealthyPanicThreshold = nil
	if rest.GetLocalityWeightedLbConfig() != nil {
		rest.LocalityConfigSpecifier = nil
	}
	return !proto.Equal(rest, &clusterv3.Cluster_CommonLbConfig{})
}

// DefaultCircuitBreakers are the thresholds Envoy applies to a cluster that
// sets none.
func DefaultCircuitBreakers() CircuitBreakers {
	return CircuitBreakers{MaxConnections: defaultMaxConnections, MaxPendingRequests: defaultMaxPendingRequests,
		MaxRequests: defaultMaxRequests, MaxRetries: defaultMaxRetries}
}

// circuitBreakers are the DEFAULT-priority thresholds, with Envoy's
// defaults for fields left unset; nil when the cluster has none.
func circuitBreakers(cl *clusterv3.Cluster) *CircuitBreakers {
	for _, t := range cl.GetCircuitBreakers().GetThresholds() {
		if t.GetPriority() != corev3.RoutingPriority_DEFAULT {
			continue
		}
		return &CircuitBreakers{
			MaxConnections:     valueOr(t.GetMaxConnections().GetValue(), t.GetMaxConnections() != nil, defaultMaxConnections),
			MaxPendingRequests: valueOr(t.GetMaxPendingRequests().GetValue(), t.GetMaxPendingRequests() != nil, defaultMaxPendingRequests),
			MaxRequests:        valueOr(t.GetMaxRequests().GetValue(), t.GetMaxRequests() != nil, defaultMaxRequests),
			MaxRetries:         valueOr(t.GetMaxRetries().GetValue(), t.GetMaxRetries() != nil, defaultMaxRetries),
		}
	}
	return nil
}

func valueOr(v uint32, set bool, def uint32) uint32 {
	if set {
		return v
	}
	return def
}

// clusterNote explains what a discovery type means for the endpoints
// listed, for the trace.
func clusterNote(cl *clusterv3.Cluster) string {
	note := ""
	switch cl.GetType() {
	case clusterv3.Cluster_STRICT_DNS:
		note = " (endpoints are host names: Envoy resolves each and balances over every address returned)"
	case clusterv3.Cluster_LOGICAL_DNS:
		note = " (endpoints are host names: Envoy connects to the first address each resolution returns)"
	case clusterv3.Cluster_ORIGINAL_DST:
		note = " (the host is the connection's original destination)"
	}
	if src := cl.GetUpstreamBindConfig().GetSourceAddress().GetAddress(); src != "" {
		note += ", connecting from source address " + src
	}
	return note
}
