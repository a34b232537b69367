package envoy

import (
	"net/netip"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/weftmesh/weft/pilot/xds"
)

// withProxyDNSFamily resolves DNS clusters over IPv6 for a proxy whose
// address is IPv6, as istiod picks the lookup family from the proxy's IPs
// (IPv4 otherwise).
func withProxyDNSFamily(cl *clusterv3.Cluster, p *xds.Proxy) *clusterv3.Cluster {
	if cl.GetType() != clusterv3.Cluster_STRICT_DNS && cl.GetType() != clusterv3.Cluster_LOGICAL_DNS {
		return cl
	}
	ip, err := netip.ParseAddr(p.IP)
	if err != nil || !ip.Is6() || ip.Is4In6() {
		return cl
	}
	cl.DnsLookupFamily = clusterv3.Cluster_V6_ONLY
	return cl
}
