package envoystandin

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/weftmesh/weft/pilot/xds/guard"
)

// Snapshot is what the stand-in holds at one moment, by name. The messages
// are shared between snapshots: do not modify them.
type Snapshot struct {
	Listeners map[string]*listenerv3.Listener
	Clusters  map[string]*clusterv3.Cluster
	Routes    map[string]*routev3.RouteConfiguration
	Endpoints map[string]*endpointv3.ClusterLoadAssignment
	// Versions is the last accepted (ACKed) version by type URL.
	Versions map[string]string
	// NACKs are every rejection sent so far, oldest first.
	NACKs []NACK
}

// NACK is one rejected response.
type NACK struct {
	TypeURL string
	Version string
	Nonce   string
	Error   string
}

// ByType returns the resources of a type URL (resource.ListenerType, ...).
func (s Snapshot) ByType(typeURL string) map[string]proto.Message {
	out := map[string]proto.Message{}
	switch typeURL {
	case resource.ListenerType:
		copyInto(out, s.Listeners)
	case resource.ClusterType:
		copyInto(out, s.Clusters)
	case resource.RouteType:
		copyInto(out, s.Routes)
	case resource.EndpointType:
		copyInto(out, s.Endpoints)
	}
	return out
}

func copyInto[M proto.Message](dst map[string]proto.Message, src map[string]M) {
	for k, v := range src {
		dst[k] = v
	}
}

// Summary lists names by type, for failure messages.
func (s Snapshot) Summary() string {
	return fmt.Sprintf("LDS %v; RDS %v; CDS %v; EDS %v; versions %v; %d NACKs",
		sortedKeys(s.Listeners), sortedKeys(s.Routes), sortedKeys(s.Clusters), sortedKeys(s.Endpoints), s.Versions, len(s.NACKs))
}

func sortedKeys[M any](m map[string]M) []string {
	return slices.Sorted(maps.Keys(m))
}

// typed builds a Snapshot from the per-type stores.
func typed(store map[string]map[string]proto.Message, versions map[string]string, nacks []NACK) Snapshot {
	return Snapshot{
		Listeners: castAll[*listenerv3.Listener](store[resource.ListenerType]),
		Clusters:  castAll[*clusterv3.Cluster](store[resource.ClusterType]),
		Routes:    castAll[*routev3.RouteConfiguration](store[resource.RouteType]),
		Endpoints: castAll[*endpointv3.ClusterLoadAssignment](store[resource.EndpointType]),
		Versions:  maps.Clone(versions),
		NACKs:     slices.Clone(nacks),
	}
}

func castAll[M proto.Message](in map[string]proto.Message) map[string]M {
	out := make(map[string]M, len(in))
	for k, v := range in {
		out[k] = v.(M)
	}
	return out
}

// decodeResource unpacks one resource of a response (a bare message or one
// wrapped in discovery.Resource, both of which Envoy takes), checks its
// type and validates it with every Any inside, as Envoy does before use.
func decodeResource(typeURL string, a *anypb.Any) (string, proto.Message, error) {
	if a.GetTypeUrl() == "type.googleapis.com/envoy.service.discovery.v3.Resource" {
		wrapped := &discoveryv3.Resource{}
		if err := a.UnmarshalTo(wrapped); err != nil {
			return "", nil, fmt.Errorf("decode Resource wrapper: %w", err)
		}
		a = wrapped.GetResource()
	}
	if a.GetTypeUrl() != typeURL {
		return "", nil, fmt.Errorf("resource of type %s in a %s response", a.GetTypeUrl(), typeURL)
	}
	m, err := a.UnmarshalNew()
	if err != nil {
		return "", nil, fmt.Errorf("decode %s: %w", typeURL, err)
	}
	name := resourceName(m)
	if name == "" {
		return "", nil, fmt.Errorf("%s without a name", typeURL)
	}
	if err := guard.ValidateDeep(m); err != nil {
		return name, nil, fmt.Errorf("%s %q: %w", typeURL, name, err)
	}
	if err := needsOtherSource(m); err != nil {
		return name, nil, fmt.Errorf("%s %q: %w", typeURL, name, err)
	}
	return name, m, nil
}

func resourceName(m proto.Message) string {
	if cla, ok := m.(*endpointv3.ClusterLoadAssignment); ok {
		return cla.GetClusterName()
	}
	if n, ok := m.(interface{ GetName() string }); ok {
		return n.GetName()
	}
	return ""
}

// needsOtherSource rejects a cluster or listener that takes endpoints or
// routes from somewhere other than ADS: the stand-in has only the stream.
func needsOtherSource(m proto.Message) error {
	switch r := m.(type) {
	case *clusterv3.Cluster:
		cfg := r.GetEdsClusterConfig().GetEdsConfig()
		if r.GetType() == clusterv3.Cluster_EDS && cfg.GetAds() == nil && cfg.GetSelf() == nil {
			return errors.New("eds_config is not ADS; the stand-in has no other source")
		}
	case *listenerv3.Listener:
		hcms, err := HTTPConnectionManagers(r)
		if err != nil {
			return err
		}
		for _, h := range hcms {
			src := h.GetRds().GetConfigSource()
			if h.GetRds() != nil && src.GetAds() == nil && src.GetSelf() == nil {
				return fmt.Errorf("route config %q: config_source is not ADS; the stand-in has no other source", h.GetRds().GetRouteConfigName())
			}
		}
	}
	return nil
}

// edsNames are the service names Envoy asks EDS for: those of the EDS
// clusters (service_name, else the cluster name).
func edsNames(clusters map[string]proto.Message) []string {
	var names []string
	for name, m := range clusters {
		c := m.(*clusterv3.Cluster)
		if c.GetType() != clusterv3.Cluster_EDS {
			continue
		}
		if sn := c.GetEdsClusterConfig().GetServiceName(); sn != "" {
			name = sn
		}
		names = append(names, name)
	}
	return dedupeSorted(names)
}

// rdsNames are the route configurations the listeners' HTTP connection
// managers name through RDS, in every filter chain. Stored listeners
// decoded once already, so decoding cannot fail here.
func rdsNames(listeners map[string]proto.Message) []string {
	var names []string
	for _, m := range listeners {
		hcms, _ := HTTPConnectionManagers(m.(*listenerv3.Listener))
		for _, h := range hcms {
			if rds := h.GetRds(); rds != nil {
				names = append(names, rds.GetRouteConfigName())
			}
		}
	}
	return dedupeSorted(names)
}

// HTTPConnectionManagers returns the HttpConnectionManager of every filter
// chain of l (default chain and API listener included), in order.
func HTTPConnectionManagers(l *listenerv3.Listener) ([]*hcmv3.HttpConnectionManager, error) {
	chains := slices.Clone(l.GetFilterChains())
	if dc := l.GetDefaultFilterChain(); dc != nil {
		chains = append(chains, dc)
	}
	var out []*hcmv3.HttpConnectionManager
	for _, fc := range chains {
		for _, f := range fc.GetFilters() {
			h, err := asHCM(f.GetTypedConfig())
			if err != nil {
				return nil, fmt.Errorf("listener %q filter %q: %w", l.GetName(), f.GetName(), err)
			}
			if h != nil {
				out = append(out, h)
			}
		}
	}
	h, err := asHCM(l.GetApiListener().GetApiListener())
	if err != nil {
		return nil, fmt.Errorf("listener %q api_listener: %w", l.GetName(), err)
	}
	if h != nil {
		out = append(out, h)
	}
	return out, nil
}

func asHCM(a *anypb.Any) (*hcmv3.HttpConnectionManager, error) {
	if a == nil || a.GetTypeUrl() != "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager" {
		return nil, nil
	}
	h := &hcmv3.HttpConnectionManager{}
	if err := a.UnmarshalTo(h); err != nil {
		return nil, errors.New("decode HttpConnectionManager: " + err.Error())
	}
	return h, nil
}

func dedupeSorted(names []string) []string {
	sort.Strings(names)
	return slices.Compact(names)
}

// FilterChainForPort is the first filter chain of l matching destination
// port, as on weftd's virtualInbound listener; nil if none.
func FilterChainForPort(l *listenerv3.Listener, port uint32) *listenerv3.FilterChain {
	for _, fc := range l.GetFilterChains() {
		if fc.GetFilterChainMatch().GetDestinationPort().GetValue() == port {
			return fc
		}
	}
	return nil
}
