//lint:file-ignore SA1019 istiod still sets the deprecated dns_refresh_rate, dns_jitter and respect_dns_ttl, and Envoy honours them.

package build

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	caresv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/network/dns_resolver/cares/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// Istio's defaults for DNS clusters: MeshConfig dnsRefreshRate, istiod's
// PILOT_DNS_JITTER_DURATION and the c-ares queries per UDP port it sets.
const (
	dnsRefreshRate     = 60 * time.Second
	dnsJitter          = 100 * time.Millisecond
	caresUDPMaxQueries = 100
)

// setDNS makes a cluster that resolves its endpoints' host names as
// istiod does: resolution DNS is STRICT_DNS (every address returned takes
// traffic), DNS_ROUND_ROBIN is LOGICAL_DNS (a connection goes to the
// first address of the latest answer); IPv4 lookups, honouring the
// record's TTL. Clusters pins the family to IPv6 for IPv6-only proxies.
func setDNS(out *clusterv3.Cluster, res mesh.Resolution) {
	kind := clusterv3.Cluster_STRICT_DNS
	if res == mesh.ResolutionDNSRoundRobin {
		kind = clusterv3.Cluster_LOGICAL_DNS
	}
	out.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: kind}
	out.DnsLookupFamily = clusterv3.Cluster_V4_ONLY
	out.DnsRefreshRate = durationpb.New(dnsRefreshRate)
	out.DnsJitter = durationpb.New(dnsJitter)
	out.RespectDnsTtl = true
	out.TypedDnsResolverConfig = &corev3.TypedExtensionConfig{
		Name:        "envoy.network.dns_resolver.cares",
		TypedConfig: mustAny(&caresv3.CaresDnsResolverConfig{UdpMaxQueries: wrapperspb.UInt32(caresUDPMaxQueries)}),
	}
}
