package envoy

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/weftmesh/weft/pilot/xds"
)

// istiod picks the DNS lookup family from the proxy's addresses: IPv4
// (also when unknown), IPv6 for an IPv6-only proxy.
func TestDNSLookupFamilyFollowsTheProxyAddress(t *testing.T) {
	tests := []struct {
		ip   string
		kind clusterv3.Cluster_DiscoveryType
		want clusterv3.Cluster_DnsLookupFamily
	}{
		{"10.0.0.1", clusterv3.Cluster_STRICT_DNS, clusterv3.Cluster_V4_ONLY},
		{"", clusterv3.Cluster_LOGICAL_DNS, clusterv3.Cluster_V4_ONLY},
		{"fd00::1", clusterv3.Cluster_LOGICAL_DNS, clusterv3.Cluster_V6_ONLY},
		{"::ffff:10.0.0.1", clusterv3.Cluster_STRICT_DNS, clusterv3.Cluster_V4_ONLY},
		{"fd00::1", clusterv3.Cluster_EDS, clusterv3.Cluster_AUTO},
	}
	for _, tt := range tests {
		cl := &clusterv3.Cluster{ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: tt.kind}}
		if tt.kind != clusterv3.Cluster_EDS {
			cl.DnsLookupFamily = clusterv3.Cluster_V4_ONLY
		}
		if got := withProxyDNSFamily(cl, &xds.Proxy{IP: tt.ip}).GetDnsLookupFamily(); got != tt.want {
			t.Errorf("%s %s: %s, want %s", tt.ip, tt.kind, got, tt.want)
		}
	}
}
