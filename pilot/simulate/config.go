package simulate

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/xds"
)

// Config is one proxy's xDS resources, by name.
type Config struct {
	Listeners []*listenerv3.Listener // in the order the proxy holds them
	Routes    map[string]*routev3.RouteConfiguration
	Clusters  map[string]*clusterv3.Cluster
	Endpoints map[string]*endpointv3.ClusterLoadAssignment
	Secrets   map[string]*tlsv3.Secret
}

// NewConfig indexes resources as a proxy holds them after ADS.
func NewConfig() *Config {
	return &Config{
		Routes:    map[string]*routev3.RouteConfiguration{},
		Clusters:  map[string]*clusterv3.Cluster{},
		Endpoints: map[string]*endpointv3.ClusterLoadAssignment{},
		Secrets:   map[string]*tlsv3.Secret{},
	}
}

// FromResources is the Config of resources weft generated for one proxy.
func FromResources(res xds.Resources) *Config {
	c := NewConfig()
	for _, name := range res.Names(resource.ListenerType) {
		c.Listeners = append(c.Listeners, res[resource.ListenerType][name].(*listenerv3.Listener))
	}
	for name, r := range res[resource.RouteType] {
		c.Routes[name] = r.(*routev3.RouteConfiguration)
	}
	for name, r := range res[resource.ClusterType] {
		c.Clusters[name] = r.(*clusterv3.Cluster)
	}
	for name, r := range res[resource.EndpointType] {
		c.Endpoints[name] = r.(*endpointv3.ClusterLoadAssignment)
	}
	for name, r := range res[resource.SecretType] {
		c.Secrets[name] = r.(*tlsv3.Secret)
	}
	return c
}
