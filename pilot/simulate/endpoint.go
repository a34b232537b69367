package simulate

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/structpb"
)

// transportSocketMatch is the metadata namespace transport_socket_matches
// read on endpoints and localities.
const transportSocketMatch = "envoy.transport_socket_match"

// host is an endpoint with the metadata its transport socket is chosen by.
type host struct {
	Endpoint
	// degraded hosts take traffic only when healthy ones are too few.
	degraded         bool
	meta, localityMD *structpb.Struct
}

// clusterEndpoints lists the hosts of a cluster by its discovery type.
func (c *Config) clusterEndpoints(cl *clusterv3.Cluster, req *Request) ([]host, error) {
	switch cl.GetType() {
	case clusterv3.Cluster_ORIGINAL_DST:
		return originalDstHost(cl, req)
	case clusterv3.Cluster_EDS:
		cla, ok := c.Endpoints[edsServiceName(cl)]
		if !ok {
			return nil, nil
		}
		return loadAssignmentHosts(cl.GetName(), cla)
	}
	// STATIC, STRICT_DNS and LOGICAL_DNS carry their endpoints inline.
	return loadAssignmentHosts(cl.GetName(), cl.GetLoadAssignment())
}

// edsServiceName is the name a cluster asks EDS for: service_name when
// set, else the cluster's own name (Envoy's rule).
func edsServiceName(cl *clusterv3.Cluster) string {
	if n := cl.GetEdsClusterConfig().GetServiceName(); n != "" {
		return n
	}
	return cl.GetName()
}

// originalDstHost is the connection's original destination: Envoy's
// ORIGINAL_DST cluster makes one host of it per connection.
func originalDstHost(cl *clusterv3.Cluster, req *Request) ([]host, error) {
	if cl.GetOriginalDstLbConfig() != nil {
		return nil, cannot("cluster %s original_dst_lb_config", cl.GetName())
	}
	if req.DestIP == "" {
		return nil, cannot("cluster %s is ORIGINAL_DST and the request has no destination IP", cl.GetName())
	}
	addr := net.JoinHostPort(req.DestIP, strconv.FormatUint(uint64(req.DestPort), 10))
	return []host{{Endpoint: Endpoint{Address: addr, Weight: 1, Healthy: true}}}, nil
}

// loadAssignmentHosts flattens localities into hosts, in order.
func loadAssignmentHosts(cluster string, cla *endpointv3.ClusterLoadAssignment) ([]host, error) {
	if len(cla.GetPolicy().GetDropOverloads()) > 0 {
		return nil, cannot("cluster %s load assignment policy.drop_overloads", cluster)
	}
	var out []host
	for i, loc := range cla.GetEndpoints() {
		if loc.GetLedsClusterLocalityConfig() != nil {
			return nil, cannot("cluster %s endpoints[%d].leds_cluster_locality_config", cluster, i)
		}
		for j, lb := range loc.GetLbEndpoints() {
			h, err := lbHost(cla, loc, lb)
			if err != nil {
				return nil, cannot("cluster %s endpoints[%d].lb_endpoints[%d]: %v", cluster, i, j, err)
			}
			out = append(out, h)
		}
	}
	return out, nil
}

func lbHost(cla *endpointv3.ClusterLoadAssignment, loc *endpointv3.LocalityLbEndpoints, lb *endpointv3.LbEndpoint) (host, error) {
	ep := lb.GetEndpoint()
	if name := lb.GetEndpointName(); name != "" {
		ep = cla.GetNamedEndpoints()[name]
	}
	addr, err := address(ep.GetAddress())
	if err != nil {
		return host{}, err
	}
	h := host{
		Endpoint: Endpoint{
			Address:        addr,
			Weight:         max(lb.GetLoadBalancingWeight().GetValue(), 1),
			Locality:       locality(loc.GetLocality()),
			Priority:       loc.GetPriority(),
			LocalityWeight: loc.GetLoadBalancingWeight().GetValue(),
		},
		meta:       lb.GetMetadata().GetFilterMetadata()[transportSocketMatch],
		localityMD: loc.GetMetadata().GetFilterMetadata()[transportSocketMatch],
	}
	h.Healthy, h.degraded = health(lb.GetHealthStatus())
	return h, nil
}

// health follows Envoy's reading of EDS health_status: UNKNOWN is taken as
// HEALTHY, DRAINING and TIMEOUT as UNHEALTHY, and DEGRADED hosts are
// available but used only when healthy hosts are too few.
func health(s corev3.HealthStatus) (healthy, degraded bool) {
	switch s {
	case corev3.HealthStatus_UNKNOWN, corev3.HealthStatus_HEALTHY:
		return true, false
	case corev3.HealthStatus_DEGRADED:
		return false, true
	}
	return false, false
}

// address renders an endpoint address: ip:port (or host:port for DNS
// clusters), a pipe path, or an internal listener name.
func address(a *corev3.Address) (string, error) {
	switch {
	case a.GetSocketAddress() != nil:
		sa := a.GetSocketAddress()
		if sa.GetNamedPort() != "" {
			return "", fmt.Errorf("named_port %q", sa.GetNamedPort())
		}
		return net.JoinHostPort(sa.GetAddress(), strconv.FormatUint(uint64(sa.GetPortValue()), 10)), nil
	case a.GetPipe() != nil:
		return a.GetPipe().GetPath(), nil
	case a.GetEnvoyInternalAddress() != nil:
		return "internal:" + a.GetEnvoyInternalAddress().GetServerListenerName(), nil
	}
	return "", fmt.Errorf("no address")
}

func locality(l *corev3.Locality) string {
	if l.GetRegion() == "" && l.GetZone() == "" && l.GetSubZone() == "" {
		return ""
	}
	return strings.Join([]string{l.GetRegion(), l.GetZone(), l.GetSubZone()}, "/")
}
