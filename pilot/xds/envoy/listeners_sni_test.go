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
	l := sniOutbound(8443, []*mesh.VirtualHost{vh}, BlackHoleCluster)
	if got := chainCluster(t, l.DefaultFilterChain); got != BlackHoleCluster {
		t.Errorf("default chain to %s, want %s", got, BlackHoleCluster)
	}
}

// A port an HTTP service already serves keeps its HTTP listener.
func TestSNIListenerYieldsToHTTP(t *testing.T) {
	m := &mesh.Mesh{Scopes: &mesh.Scopes{}, VirtualHosts: []*mesh.VirtualHost{
		externalVH("web.example", nil, mesh.Port{Number: 8443, Protocol: mesh.ProtocolHTTP}),
		externalVH("tls.example", nil, mesh.Port{Number: 8443, Protocol: mesh.ProtocolTLS}),
	}}
	ls := Listeners(m, sidecar("default", "10.0.0.1", nil))
	l := listenerNamed(ls, "0.0.0.0_8443")
	if l == nil || len(l.FilterChains) != 1 || l.FilterChains[0].GetFilterChainMatch().GetTransportProtocol() != "raw_buffer" {
		t.Errorf("0.0.0.0_8443 = %v, want the HTTP listener alone", l)
	}
}
