package simulate

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
)

// Envoy's refresh interval for DNS clusters that set none.
const dnsRefreshDefault = 5 * time.Second

// DNSResolution is how a STRICT_DNS or LOGICAL_DNS cluster resolves its
// endpoints' host names.
type DNSResolution struct {
	LookupFamily string `json:"lookupFamily,omitempty"` // AUTO, V4_ONLY, V6_ONLY, V4_PREFERRED, ALL
	RespectTTL   bool   `json:"respectTTL,omitempty"`
	RefreshRate  string `json:"refreshRate,omitempty"` // Go duration
}

// dnsOf is nil for clusters whose endpoints are addresses.
func dnsOf(cl *clusterv3.Cluster) *DNSResolution {
	if cl.GetType() != clusterv3.Cluster_STRICT_DNS && cl.GetType() != clusterv3.Cluster_LOGICAL_DNS {
		return nil
	}
	//lint:ignore SA1019 istiod sets these deprecated fields and Envoy honours them
	refresh, ttl := cl.GetDnsRefreshRate(), cl.GetRespectDnsTtl()
	return &DNSResolution{LookupFamily: cl.GetDnsLookupFamily().String(), RespectTTL: ttl,
		RefreshRate: timeoutOr(refresh, dnsRefreshDefault)}
}
