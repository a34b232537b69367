package simulate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
)

// weftTypes are the type URLs a weft dump may hold.
var weftTypes = map[string]bool{
	resource.ListenerType: true, resource.RouteType: true, resource.ClusterType: true,
	resource.EndpointType: true, resource.SecretType: true,
}

// fromWeftDump reads weftd's /debug/config_dump: each key a type URL, each
// value the resources of that type as protojson, in weftd's order.
func fromWeftDump(top map[string]json.RawMessage) (*Config, error) {
	c := NewConfig()
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable error for a dump with several problems
	for _, k := range keys {
		if err := c.addWeftSection(k, top[k]); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Config) addWeftSection(typeURL string, raw json.RawMessage) error {
	if !strings.HasPrefix(typeURL, resource.APITypePrefix) {
		return fmt.Errorf("not an Envoy or weft config dump: unexpected key %q (want \"configs\", or type URLs)", typeURL)
	}
	if !weftTypes[typeURL] {
		return fmt.Errorf("unknown @type %q (want a listener, route, cluster, endpoint or secret type URL)", typeURL)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return fmt.Errorf("not an Envoy or weft config dump: %s is not an array of resources", typeURL)
	}
	for i, item := range items {
		if err := c.addWeftResource(fmt.Sprintf("%s[%d]", typeURL, i), typeURL, item); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) addWeftResource(where, typeURL string, item json.RawMessage) error {
	switch typeURL {
	case resource.ListenerType:
		l := &listenerv3.Listener{}
		if err := unmarshal(where, item, l); err != nil {
			return err
		}
		return c.addListener(l)
	case resource.RouteType:
		r := &routev3.RouteConfiguration{}
		return unmarshalAdd(where, item, r, c.Routes, "route config", r.GetName)
	case resource.ClusterType:
		cl := &clusterv3.Cluster{}
		return unmarshalAdd(where, item, cl, c.Clusters, "cluster", cl.GetName)
	case resource.EndpointType:
		e := &endpointv3.ClusterLoadAssignment{}
		return unmarshalAdd(where, item, e, c.Endpoints, "endpoint config", e.GetClusterName)
	case resource.SecretType:
		s := &tlsv3.Secret{}
		return unmarshalAdd(where, item, s, c.Secrets, "secret", s.GetName)
	}
	return fmt.Errorf("unknown @type %q", typeURL)
}

// unmarshalAdd decodes m and indexes it under the name it then holds.
func unmarshalAdd[T proto.Message](where string, item json.RawMessage, m T, index map[string]T, kind string, name func() string) error {
	if err := unmarshal(where, item, m); err != nil {
		return err
	}
	return add(index, kind, name(), m)
}
