package build

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// defaultConnectTimeout is Istio's default connect timeout.
const defaultConnectTimeout = 10 * time.Second

// ADS is the config source every dynamic resource is fetched from.
func ADS() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}

// Cluster converts one outbound IR cluster.
func Cluster(c *mesh.Cluster, opts Options, deg *Degradations) *clusterv3.Cluster {
	out := &clusterv3.Cluster{
		Name:           c.Key.String(),
		ConnectTimeout: durationpb.New(defaultConnectTimeout),
	}
	if !setDiscovery(out, c, opts, deg) {
		return nil
	}
	setLoadBalancer(out, c.Policy.LoadBalancer, opts, deg)
	setConnectionPool(out, c.Policy.ConnectionPool, opts)
	if od := c.Policy.OutlierDetection; od != nil {
		out.OutlierDetection = outlier(od)
	}
	if !opts.Proxyless {
		setPanicThreshold(out, c.Policy.OutlierDetection)
	}
	if !opts.Proxyless {
		setHTTPProtocolOptions(out, c)
	}
	setUpstreamTLS(out, c, opts, deg)
	setLocalityWeighted(out, c, opts)
	return out
}

// explicitHTTP2: the cluster always speaks HTTP/2 upstream (not when it
// follows the client's protocol), where istiod offers h2 by ALPN.
func explicitHTTP2(c *mesh.Cluster) bool {
	cp := c.Policy.ConnectionPool
	return speaksHTTP2(c) && (cp == nil || !cp.UseClientProtocol)
}

// speaksHTTP2: an HTTP/2 or gRPC port, or a DestinationRule that asks
// for h2UpgradePolicy UPGRADE, which istiod honours on any port.
func speaksHTTP2(c *mesh.Cluster) bool {
	cp := c.Policy.ConnectionPool
	return c.Port.Protocol.IsHTTP2() || cp != nil && cp.H2Upgrade
}

// setDiscovery picks EDS, DNS or original-destination discovery; proxyless
// clients accept only EDS, so the others degrade to EDS with hostnames.
func setDiscovery(out *clusterv3.Cluster, c *mesh.Cluster, opts Options, deg *Degradations) bool {
	res := c.Service.Resolution
	switch {
	case res == mesh.ResolutionEDS || opts.Proxyless && res.ByDNS():
		if res.ByDNS() {
			deg.Add("DNS resolution served as EDS with hostname endpoints: grpc-go rejects STRICT_DNS and LOGICAL_DNS clusters")
		}
		out.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS}
		out.EdsClusterConfig = &clusterv3.Cluster_EdsClusterConfig{EdsConfig: ADS(), ServiceName: out.Name}
	case opts.Proxyless:
		deg.Add("cluster " + out.Name + " omitted: resolution NONE needs original-destination routing, which grpc-go lacks")
		return false
	case res.ByDNS():
		setDNS(out, res)
		out.LoadAssignment = dnsLoadAssignment(out.Name, c, opts)
	default:
		out.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST}
		out.LbPolicy = clusterv3.Cluster_CLUSTER_PROVIDED
	}
	return true
}

// setLoadBalancer applies the DestinationRule's load balancer. Without one
// an Envoy sidecar uses LEAST_REQUEST, Istio's default; proxyless clients
// keep grpc-go's ROUND_ROBIN, as Istio's proxyless generator leaves it.
func setLoadBalancer(out *clusterv3.Cluster, lb *mesh.LoadBalancer, opts Options, deg *Degradations) {
	if out.LbPolicy == clusterv3.Cluster_CLUSTER_PROVIDED {
		return
	}
	if lb == nil {
		if !opts.Proxyless {
			out.LbPolicy = clusterv3.Cluster_LEAST_REQUEST
		}
		return
	}
	switch lb.Kind {
	case mesh.LBLeastRequest:
		out.LbPolicy = clusterv3.Cluster_LEAST_REQUEST
	case mesh.LBRandom:
		if opts.Proxyless {
			deg.Add("loadBalancer RANDOM served as ROUND_ROBIN: grpc-go has no random policy")
			return
		}
		out.LbPolicy = clusterv3.Cluster_RANDOM
	case mesh.LBRingHash:
		out.LbPolicy = clusterv3.Cluster_RING_HASH
		if lb.Hash != nil && lb.Hash.MinRingSize > 0 {
			out.LbConfig = &clusterv3.Cluster_RingHashLbConfig_{RingHashLbConfig: &clusterv3.Cluster_RingHashLbConfig{
				MinimumRingSize: wrapperspb.UInt64(lb.Hash.MinRingSize)}}
		}
	case mesh.LBMaglev:
		if opts.Proxyless {
			deg.Add("loadBalancer maglev served as RING_HASH: grpc-go rejects MAGLEV")
			out.LbPolicy = clusterv3.Cluster_RING_HASH
			return
		}
		out.LbPolicy = clusterv3.Cluster_MAGLEV
	}
}

// LoadAssignment lists endpoints by locality, without priorities: what
// every proxy sees when no locality view applies (DNS clusters' inline
// endpoints, goldens).
func LoadAssignment(cluster string, eps []mesh.Endpoint, pa mesh.PeerAuthn) *endpointv3.ClusterLoadAssignment {
	return LocalityLoadAssignment(cluster, mesh.GroupByLocality(eps), pa)
}

// lbEndpoint marks endpoints that accept mesh mTLS with tlsMode=istio, the
// metadata the cluster's transport socket matches pick mTLS by.
func lbEndpoint(ep mesh.Endpoint, addr *corev3.Address, meshTLS bool) *endpointv3.LbEndpoint {
	status := corev3.HealthStatus_HEALTHY
	if !ep.Healthy {
		status = corev3.HealthStatus_UNHEALTHY
	}
	lb := &endpointv3.LbEndpoint{
		HostIdentifier:      &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: addr}},
		HealthStatus:        status,
		LoadBalancingWeight: wrapperspb.UInt32(max(ep.Weight, 1)),
	}
	if meshTLS {
		lb.Metadata = tlsModeMetadata
	}
	return lb
}

// SocketAddress is a TCP address.
func SocketAddress(ip string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       ip,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}
