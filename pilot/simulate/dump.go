package simulate

import (
	"encoding/json"
	"fmt"
	"strings"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

const adminPrefix = resource.APITypePrefix + "envoy.admin.v3."

// ignoredDumps are sections of Envoy's dump that hold nothing the
// simulator reads: the bootstrap (weft-agent's, not weftd's) and scoped
// routes and ECDS, which weft never uses (a listener relying on them is
// refused by the HTTP stage).
var ignoredDumps = map[string]bool{
	adminPrefix + "BootstrapConfigDump":    true,
	adminPrefix + "ScopedRoutesConfigDump": true,
	adminPrefix + "EcdsConfigDump":         true,
}

// fromEnvoyDump reads Envoy's admin dump: one Any per resource kind.
func fromEnvoyDump(raw json.RawMessage) (*Config, error) {
	var configs []json.RawMessage
	if err := json.Unmarshal(raw, &configs); err != nil {
		return nil, fmt.Errorf("not an Envoy or weft config dump: \"configs\" is not an array of objects")
	}
	c := NewConfig()
	for i, cfg := range configs {
		if err := c.addEnvoySection(fmt.Sprintf("configs[%d]", i), cfg); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Config) addEnvoySection(where string, raw json.RawMessage) error {
	var head struct {
		Type string `json:"@type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || head.Type == "" {
		return fmt.Errorf("not an Envoy or weft config dump: %s has no \"@type\"", where)
	}
	if ignoredDumps[head.Type] {
		return nil
	}
	if !strings.HasPrefix(head.Type, adminPrefix) {
		return fmt.Errorf("%s: unknown @type %q (want an envoy.admin.v3 config dump)", where, head.Type)
	}
	a := &anypb.Any{}
	if err := unmarshal(where, raw, a); err != nil {
		return err
	}
	m, err := a.UnmarshalNew()
	if err != nil {
		return fmt.Errorf("%s: %v", where, err)
	}
	return c.addEnvoyDump(where, m)
}

func (c *Config) addEnvoyDump(where string, m proto.Message) error {
	switch d := m.(type) {
	case *adminv3.ListenersConfigDump:
		return c.addListenersDump(where, d)
	case *adminv3.RoutesConfigDump:
		return c.addRoutesDump(where, d)
	case *adminv3.ClustersConfigDump:
		return c.addClustersDump(where, d)
	case *adminv3.EndpointsConfigDump:
		return c.addEndpointsDump(where, d)
	case *adminv3.SecretsConfigDump:
		return c.addSecretsDump(where, d)
	}
	return fmt.Errorf("%s: unknown @type %q", where, anyURL(m))
}

func anyURL(m proto.Message) string {
	return resource.APITypePrefix + string(m.ProtoReflect().Descriptor().FullName())
}

// addListenersDump keeps static listeners, then active dynamic ones, in
// the dump's order; warming and draining listeners take no connections.
func (c *Config) addListenersDump(where string, d *adminv3.ListenersConfigDump) error {
	var anys []*anypb.Any
	for _, l := range d.GetStaticListeners() {
		anys = append(anys, l.GetListener())
	}
	for _, l := range d.GetDynamicListeners() {
		if a := l.GetActiveState().GetListener(); a != nil {
			anys = append(anys, a)
		}
	}
	for i, a := range anys {
		l := &listenerv3.Listener{}
		if err := unpack(fmt.Sprintf("%s listener %d", where, i), a, l); err != nil {
			return err
		}
		if err := c.addListener(l); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) addRoutesDump(where string, d *adminv3.RoutesConfigDump) error {
	var anys []*anypb.Any
	for _, r := range d.GetStaticRouteConfigs() {
		anys = append(anys, r.GetRouteConfig())
	}
	for _, r := range d.GetDynamicRouteConfigs() {
		anys = append(anys, r.GetRouteConfig())
	}
	for i, a := range anys {
		r := &routev3.RouteConfiguration{}
		if err := unpack(fmt.Sprintf("%s route config %d", where, i), a, r); err != nil {
			return err
		}
		if err := add(c.Routes, "route config", r.GetName(), r); err != nil {
			return err
		}
	}
	return nil
}

// addClustersDump reads static and active clusters; warming clusters do
// not take traffic yet.
func (c *Config) addClustersDump(where string, d *adminv3.ClustersConfigDump) error {
	var anys []*anypb.Any
	for _, s := range d.GetStaticClusters() {
		anys = append(anys, s.GetCluster())
	}
	for _, s := range d.GetDynamicActiveClusters() {
		anys = append(anys, s.GetCluster())
	}
	for i, a := range anys {
		cl := &clusterv3.Cluster{}
		if err := unpack(fmt.Sprintf("%s cluster %d", where, i), a, cl); err != nil {
			return err
		}
		if err := add(c.Clusters, "cluster", cl.GetName(), cl); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) addEndpointsDump(where string, d *adminv3.EndpointsConfigDump) error {
	var anys []*anypb.Any
	for _, s := range d.GetStaticEndpointConfigs() {
		anys = append(anys, s.GetEndpointConfig())
	}
	for _, s := range d.GetDynamicEndpointConfigs() {
		anys = append(anys, s.GetEndpointConfig())
	}
	for i, a := range anys {
		e := &endpointv3.ClusterLoadAssignment{}
		if err := unpack(fmt.Sprintf("%s endpoint config %d", where, i), a, e); err != nil {
			return err
		}
		if err := add(c.Endpoints, "endpoint config", e.GetClusterName(), e); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) addSecretsDump(where string, d *adminv3.SecretsConfigDump) error {
	var anys []*anypb.Any
	for _, s := range d.GetStaticSecrets() {
		anys = append(anys, s.GetSecret())
	}
	for _, s := range d.GetDynamicActiveSecrets() {
		anys = append(anys, s.GetSecret())
	}
	for i, a := range anys {
		s := &tlsv3.Secret{}
		if err := unpack(fmt.Sprintf("%s secret %d", where, i), a, s); err != nil {
			return err
		}
		if err := add(c.Secrets, "secret", s.GetName(), s); err != nil {
			return err
		}
	}
	return nil
}

// unpack opens one resource's Any, which must hold the expected type.
func unpack(where string, a *anypb.Any, m proto.Message) error {
	if a == nil {
		return fmt.Errorf("%s: missing", where)
	}
	if err := a.UnmarshalTo(m); err != nil {
		return fmt.Errorf("%s: @type %q, want %q", where, a.GetTypeUrl(), anyURL(m))
	}
	return nil
}

// add indexes a resource by name; Envoy holds one per name, so a
// duplicate means the dump is not one proxy's.
func add[T any](index map[string]T, kind, name string, r T) error {
	if _, dup := index[name]; dup {
		return fmt.Errorf("duplicate %s %q", kind, name)
	}
	index[name] = r
	return nil
}

func (c *Config) addListener(l *listenerv3.Listener) error {
	for _, have := range c.Listeners {
		if have.GetName() == l.GetName() {
			return fmt.Errorf("duplicate listener %q", l.GetName())
		}
	}
	c.Listeners = append(c.Listeners, l)
	return nil
}
