package envoy

import (
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	"github.com/weftmesh/weft/pilot/mesh"
)

func externalVH(host string, addrs []string, ports ...mesh.Port) *mesh.VirtualHost {
	svc := &mesh.Service{Hostname: host, Addresses: addrs, Ports: ports, External: true, Resolution: mesh.ResolutionDNS}
	return &mesh.VirtualHost{Service: svc, Port: ports[0]}
}

func chainCluster(t *testing.T, fc *listenerv3.FilterChain) string {
	t.Helper()
	var tp tcpv3.TcpProxy
	if err := fc.Filters[0].GetTypedConfig().UnmarshalTo(&tp); err != nil {
		t.Fatal(err)
	}
	return tp.GetCluster()
}

func listenerNamed(ls []*listenerv3.Listener, name string) *listenerv3.Listener {
	for _, l := range ls {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// Address-less TLS and HTTPS entries on one port share 0.0.0.0_PORT, each
// matched by its host name (wildcards included) and sent to its cluster;
// other TLS takes the default chain. An entry with an address keeps its
// own IP listener and gets no SNI chain.
func TestSNIListener(t *testing.T) {
	https := mesh.Port{Number: 443, Name: "https", Protocol: mesh.ProtocolHTTPS}
	tls := mesh.Port{Number: 443, Name: "tls", Protocol: mesh.ProtocolTLS}
	m := &mesh.Mesh{Scopes: &mesh.Scopes{}, VirtualHosts: []*mesh.VirtualHost{
		externalVH("b.example.com", nil, https),
		externalVH("*.wild.example", nil, tls),
		externalVH("vip.example", []string{"240.0.0.1"}, tls),
	}}
	ls := Listeners(m, sidecar("default", "10.0.0.1", nil))
	l := listenerNamed(ls, "0.0.0.0_443")
	if l == nil {
		t.Fatal("no 0.0.0.0_443 listener")
	}
	if len(l.ListenerFilters) != 1 || l.ListenerFilters[0].Name != "envoy.filters.listener.tls_inspector" {
		t.Errorf("listener filters %v, want the tls_inspector", l.ListenerFilters)
	}
	var got []string
	for _, fc := range l.FilterChains {
		got = append(got, strings.Join(fc.FilterChainMatch.ServerNames, ",")+"->"+chainCluster(t, fc))
	}
	want := "*.wild.example->outbound|443||*.wild.example b.example.com->outbound|443||b.example.com"
	if strings.Join(got, " ") != want {
		t.Errorf("chains %q, want %q", got, want)
	}
	if d := l.DefaultFilterChain; d == nil || chainCluster(t, d) != PassthroughCluster {
		t.Errorf("default chain %v, want the passthrough", d)
	}
	if listenerNamed(ls, "240.0.0.1_443") == nil {
		t.Error("the entry with an address lost its IP listener")
	}
}

// Under REGISTRY_ONLY unmatched TLS is refused, not passed through.
func TestSNIListenerUnknownCluster(t *testing.T) {
	vh := externalVH("a.example", nil, mesh.Port{Number: 8443, Protocol: mesh.ProtocolTLS})
	l := sniOutbound(&mesh.Mesh{}, sidecar("default", "10.0.0.1", nil), 8443, []*mesh.VirtualHost{vh}, BlackHoleCluster)
	if got := chainCluster(t, l.DefaultFilterChain); got != BlackHoleCluster {
		t.Errorf("default chain to %s, want %s", got, BlackHoleCluster)
	}
}

// An HTTP service and an address-less TLS service on one port share
// 0.0.0.0_PORT, as istiod builds it: the listener inspects both TLS and
// plaintext HTTP, TLS naming the service goes to its cluster, plaintext
// HTTP/1.1 and h2c to the HTTP connection manager, the rest passes through.
func TestSNIListenerSharesAPortWithHTTP(t *testing.T) {
	m := &mesh.Mesh{Scopes: &mesh.Scopes{}, VirtualHosts: []*mesh.VirtualHost{
		externalVH("web.example", nil, mesh.Port{Number: 8443, Protocol: mesh.ProtocolHTTP}),
		externalVH("tls.example", nil, mesh.Port{Number: 8443, Protocol: mesh.ProtocolTLS}),
	}}
	ls := Listeners(m, sidecar("default", "10.0.0.1", nil))
	l := listenerNamed(ls, "0.0.0.0_8443")
	if l == nil || len(l.ListenerFilters) != 2 || len(l.FilterChains) != 2 {
		t.Fatalf("0.0.0.0_8443 = %v, want inspectors and an HTTP and a TLS chain", l)
	}
	http, tls := l.FilterChains[0].FilterChainMatch, l.FilterChains[1]
	if http.GetTransportProtocol() != "raw_buffer" || strings.Join(http.GetApplicationProtocols(), ",") != "http/1.1,h2c" {
		t.Errorf("HTTP chain match %v", http)
	}
	if tls.FilterChainMatch.GetServerNames()[0] != "tls.example" || chainCluster(t, tls) != "outbound|8443||tls.example" {
		t.Errorf("TLS chain %v", tls)
	}
	if d := l.DefaultFilterChain; d == nil || chainCluster(t, d) != PassthroughCluster {
		t.Errorf("default chain %v, want the passthrough", d)
	}
}

// A tls rule whose sniHosts include "*" matches every server name, so
// istiod makes it the listener's default chain instead of the
// passthrough; rules repeating an earlier match are dropped (Envoy
// refuses identical matches), and a rule for other proxies is skipped.
func TestTLSRulesOnTheSNIListener(t *testing.T) {
	tls := mesh.Port{Number: 443, Name: "tls", Protocol: mesh.ProtocolTLS}
	vh := externalVH("a.example", nil, tls)
	to := func(host string) []mesh.Destination {
		return []mesh.Destination{{Cluster: mesh.ClusterKey{Direction: mesh.Outbound, Port: 443, Host: host}, Weight: 100}}
	}
	vh.TLSRoutes = []*mesh.TLSRoute{
		{SNIHosts: []string{"b.example", "a.example"}, Destinations: to("a.example")},
		{SNIHosts: []string{"a.example", "b.example"}, Destinations: to("never.example")},
		{SNIHosts: []string{"c.example"}, SourceLabels: map[string]string{"team": "x"}, Destinations: to("never.example")},
		{SNIHosts: []string{"*"}, Destinations: to("any.example")},
	}
	m := &mesh.Mesh{Scopes: &mesh.Scopes{}, VirtualHosts: []*mesh.VirtualHost{vh}}
	l := listenerNamed(Listeners(m, sidecar("default", "10.0.0.1", nil)), "0.0.0.0_443")
	if l == nil || len(l.FilterChains) != 1 {
		t.Fatalf("listener %v, want one SNI chain", l)
	}
	if got := strings.Join(l.FilterChains[0].FilterChainMatch.ServerNames, ","); got != "a.example,b.example" || chainCluster(t, l.FilterChains[0]) != "outbound|443||a.example" {
		t.Errorf("chain %s -> %s", got, chainCluster(t, l.FilterChains[0]))
	}
	if d := l.DefaultFilterChain; d == nil || chainCluster(t, d) != "outbound|443||any.example" {
		t.Errorf("default chain %v, want the \"*\" rule's", d)
	}
}
