package envoy

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// featureIR reads a translate golden's IR, the same input the build
// goldens use, so these tests need no Istio YAML of their own.
func featureIR(t *testing.T, feature string) *mesh.Mesh {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "translate", "testdata", feature, "ir.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mesh.UnmarshalYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sidecar(ns, ip string, labels map[string]string) *xds.Proxy {
	return &xds.Proxy{ID: "sidecar~" + ip + "~p." + ns + "~" + ns + ".svc.cluster.local", Kind: xds.KindSidecar, IP: ip,
		Namespace: ns, Labels: labels, DNSDomain: ns + ".svc.cluster.local"}
}

func names(res xds.Resources, typ string) string { return strings.Join(res.Names(typ), " ") }

// The sidecar of cart-stable (10.244.10.1, serving cart:8080) gets Istio's
// listener, route and cluster names.
func TestGenerateNames(t *testing.T) {
	m := featureIR(t, "weighted-routing")
	res, deg := Generate(m, sidecar("shop", "10.244.10.1", map[string]string{"app": "cart", "track": "stable"}))
	if err := res.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(deg) != 0 {
		t.Errorf("a sidecar degrades nothing here: %q", deg)
	}
	for typ, want := range map[string][]string{
		resource.ListenerType: {"0.0.0.0_8080", "0.0.0.0_9000", "virtualInbound", "virtualOutbound"},
		resource.RouteType:    {"8080", "9000"},
		resource.ClusterType: {"BlackHoleCluster", "InboundPassthroughCluster", "PassthroughCluster", "inbound|8080||",
			"outbound|8080|canary|cart.shop.svc.cluster.local", "outbound|9000||catalog.shop.svc.cluster.local"},
		resource.EndpointType: {"outbound|8080|stable|cart.shop.svc.cluster.local"},
	} {
		got := " " + names(res, typ) + " "
		for _, n := range want {
			if !strings.Contains(got, " "+n+" ") {
				t.Errorf("%s lacks %s: %s", typ, n, got)
			}
		}
	}
	if strings.Contains(names(res, resource.ClusterType), "inbound|9000") {
		t.Error("cart's sidecar has an inbound cluster for catalog's port")
	}
}

// Every route configuration ends with allow_any (Istio's ALLOW_ANY), and a
// virtual host is named HOST:PORT with the names clients may use.
func TestRouteConfigs(t *testing.T) {
	m := featureIR(t, "weighted-routing")
	rcs := RouteConfigs(m, sidecar("shop", "10.244.10.1", nil), &build.Degradations{})
	if len(rcs) != 2 || rcs[0].Name != "8080" {
		t.Fatalf("route configs %v", rcs)
	}
	// istiod's sidecar routes match the Host header without its port.
	if !rcs[0].IgnorePortInHostMatching {
		t.Error("route configuration matches the Host header's port; istiod's sidecar routes ignore it")
	}
	vhs := rcs[0].VirtualHosts
	if last := vhs[len(vhs)-1]; last.Name != "allow_any" || last.Domains[0] != "*" {
		t.Errorf("last virtual host %s, want allow_any", last.Name)
	}
	if vhs[0].Name != "cart.shop.svc.cluster.local:8080" || !contains(vhs[0].Domains, "cart") || !contains(vhs[0].Domains, "10.96.10.1") {
		t.Errorf("cart virtual host %s %v", vhs[0].Name, vhs[0].Domains)
	}
}

// Two services sharing an address must not share a domain: Envoy rejects
// the whole route configuration.
func TestDuplicateDomainsDropped(t *testing.T) {
	seen := map[string]bool{}
	first := uniqueDomains([]string{"a", "10.0.0.1", "10.0.0.1:80"}, seen)
	second := uniqueDomains([]string{"b", "10.0.0.1", "10.0.0.1:80"}, seen)
	if strings.Join(first, " ") != "a 10.0.0.1 10.0.0.1:80" || strings.Join(second, " ") != "b" {
		t.Errorf("first %v, second %v", first, second)
	}
}

// Inbound chains follow the PeerAuthentication mode of the port: in the
// fixture ledger is STRICT (namespace) except 9102, DISABLE at port level;
// ports no Service declares get the workload's STRICT.
func TestInboundChainsByMTLSMode(t *testing.T) {
	m := featureIR(t, "tls-peerauthentication")
	p := sidecar("finance", "10.244.18.1", map[string]string{"app": "ledger", mesh.TLSModeLabel: "istio"})
	var inbound *listenerv3.Listener
	for _, l := range Listeners(m, p) {
		if l.Name == "virtualInbound" {
			inbound = l
		}
	}
	if inbound == nil {
		t.Fatal("no virtualInbound")
	}
	got := map[string]bool{}
	for _, fc := range inbound.FilterChains {
		got[fc.Name] = fc.TransportSocket != nil
	}
	want := map[string]bool{"0.0.0.0_9443": true, "0.0.0.0_9102": false, CatchAllChain: true,
		"virtualInbound-blackhole": false, CatchAllHTTPChain: true}
	if len(got) != len(want) {
		t.Errorf("filter chains %v, want %v", got, want)
	}
	for name, tls := range want {
		if has, ok := got[name]; !ok || has != tls {
			t.Errorf("chain %s: present %v, TLS %v; want TLS %v", name, ok, has, tls)
		}
	}
	// audit has no workload policy: the namespace's STRICT applies.
	if mode := m.PeerAuthn.Mode("finance", map[string]string{"app": "audit"}, 8080); mode != mesh.MTLSStrict {
		t.Errorf("audit mode %s", mode)
	}
}

// TCP services get one listener per address; the weighted rule splits,
// and a rule matching the proxy's labels and port wins on its port.
func TestTCPListeners(t *testing.T) {
	m := featureIR(t, "tcp-routing")
	byName := map[string]*listenerv3.Listener{}
	for _, l := range Listeners(m, sidecar("shop", "10.244.99.1", map[string]string{"team": "ops"})) {
		byName[l.Name] = l
	}
	redis, admin := byName["10.96.20.1_6379"], byName["10.96.20.1_6380"]
	if redis == nil || admin == nil {
		t.Fatalf("listeners %v", keys(byName))
	}
	if got := tcpClusters(t, redis); got != "outbound|6379|primary|cache.shop.svc.cluster.local=80 outbound|6379|replica|cache.shop.svc.cluster.local=20" {
		t.Errorf("6379 routes to %s", got)
	}
	if got := tcpClusters(t, admin); got != "outbound|6380|primary|cache.shop.svc.cluster.local" {
		t.Errorf("6380 for team=ops routes to %s", got)
	}
	other := Listeners(m, sidecar("shop", "10.244.99.2", nil))
	for _, l := range other {
		if l.Name == "10.96.20.1_6380" && tcpClusters(t, l) == "outbound|6380|primary|cache.shop.svc.cluster.local" {
			t.Error("the ops-only rule applies to a proxy without team=ops")
		}
	}
}

func tcpClusters(t *testing.T, l *listenerv3.Listener) string {
	t.Helper()
	var tp tcpv3.TcpProxy
	if err := l.FilterChains[0].Filters[0].GetTypedConfig().UnmarshalTo(&tp); err != nil {
		t.Fatal(err)
	}
	if c := tp.GetCluster(); c != "" {
		return c
	}
	var out []string
	for _, c := range tp.GetWeightedClusters().GetClusters() {
		out = append(out, c.Name+"="+itoa(c.Weight))
	}
	return strings.Join(out, " ")
}

// catchAllOnly is l with only its last chain (virtualOutbound's catch-all).
func catchAllOnly(l *listenerv3.Listener) *listenerv3.Listener {
	return &listenerv3.Listener{FilterChains: l.FilterChains[len(l.FilterChains)-1:]}
}

func itoa(n uint32) string { return portString(n) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func keys(m map[string]*listenerv3.Listener) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Sidecar scoping narrows clusters and routes to the services a workload's
// Sidecar lists: front sees reports in backoffice, its neighbours do not.
func TestSidecarScope(t *testing.T) {
	m := featureIR(t, "sidecar-scope")
	const reports = "outbound|8080||reports.backoffice.svc.cluster.local"
	for _, tt := range []struct {
		labels map[string]string
		sees   bool
	}{
		{map[string]string{"app": "front"}, true},
		{map[string]string{"app": "other"}, false},
	} {
		res, _ := Generate(m, sidecar("shop", "10.244.19.9", tt.labels))
		if got := strings.Contains(" "+names(res, resource.ClusterType)+" ", " "+reports+" "); got != tt.sees {
			t.Errorf("%v: sees %s = %v, want %v", tt.labels, reports, got, tt.sees)
		}
		if !strings.Contains(names(res, resource.ClusterType), "front.shop.svc.cluster.local") {
			t.Errorf("%v: lost its own namespace's service", tt.labels)
		}
	}
}

// Passthrough chains follow the workload's mode for ports no Service
// declares, as istiod's: one set for any port, plus one per port-level
// setting on an undeclared port.
func TestInboundPassthroughByMTLSMode(t *testing.T) {
	for _, tt := range []struct {
		mode mesh.MTLSMode
		want map[string]string // chain name -> transport protocol, "+tls" when it terminates mTLS
	}{
		{mesh.MTLSStrict, withDisabled9200(map[string]string{"virtualInbound-catchall-http-mtls": "tls+tls",
			"virtualInbound-catchall-tcp-mtls": "tls+tls"})},
		{mesh.MTLSPermissive, withDisabled9200(map[string]string{"virtualInbound-catchall-http-mtls": "tls+tls",
			"virtualInbound-catchall-http": "raw_buffer", "virtualInbound-catchall-tcp-mtls": "tls+tls",
			"virtualInbound-catchall-tcp-tls": "tls", "virtualInbound-catchall-tcp": "raw_buffer"})},
		{mesh.MTLSDisable, withDisabled9200(map[string]string{"virtualInbound-catchall-http": "raw_buffer",
			"virtualInbound-catchall-tcp-tls": "tls", "virtualInbound-catchall-tcp": "raw_buffer"})},
	} {
		m := featureIR(t, "tls-peerauthentication")
		m.PeerAuthn.Namespace["finance"] = &mesh.PeerPolicy{Mode: tt.mode}
		m.PeerAuthn.Workload["finance"][0].Ports[9200] = mesh.MTLSDisable
		p := sidecar("finance", "10.244.18.1", map[string]string{"app": "ledger", mesh.TLSModeLabel: "istio"})
		got := map[string]string{}
		for _, fc := range virtualInbound(m, p).FilterChains {
			if fc.Name != CatchAllChain && fc.Name != CatchAllHTTPChain {
				continue
			}
			key := catchAllKey(fc)
			got[key] = fc.GetFilterChainMatch().GetTransportProtocol()
			if fc.TransportSocket != nil {
				got[key] += "+tls"
			}
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("%s: passthrough chains %v, want %v", tt.mode, got, tt.want)
		}
	}
}

// catchAllKey tells catch-all chains apart, which istiod (and weft) name
// alike: kind, port and whether TLS is terminated or passed through.
func catchAllKey(fc *listenerv3.FilterChain) string {
	key := "virtualInbound-catchall-tcp"
	if fc.Name == CatchAllHTTPChain {
		key = "virtualInbound-catchall-http"
	}
	if port := fc.GetFilterChainMatch().GetDestinationPort(); port != nil {
		key += "-" + portString(port.GetValue())
	}
	switch {
	case fc.TransportSocket != nil:
		return key + "-mtls"
	case fc.GetFilterChainMatch().GetTransportProtocol() == "tls":
		return key + "-tls"
	}
	return key
}

// withDisabled9200 adds the chains of the undeclared port 9200, DISABLE
// at port level: plaintext HTTP and TCP, TLS passed through.
func withDisabled9200(chains map[string]string) map[string]string {
	chains["virtualInbound-catchall-http-9200"] = "raw_buffer"
	chains["virtualInbound-catchall-tcp-9200-tls"] = "tls"
	chains["virtualInbound-catchall-tcp-9200"] = "raw_buffer"
	return chains
}

// Under REGISTRY_ONLY (unsupported-fields: the shop Sidecar) unknown
// destinations reach BlackHoleCluster and unknown HTTP hosts get 502, as
// istiod builds it; without the Sidecar they pass through.
func TestRegistryOnly(t *testing.T) {
	m := featureIR(t, "unsupported-fields")
	for _, tt := range []struct {
		ns, cluster, vhost string
	}{{"shop", BlackHoleCluster, "block_all"}, {"other", PassthroughCluster, "allow_any"}} {
		p := sidecar(tt.ns, "10.244.99.9", nil)
		if got := tcpClusters(t, catchAllOnly(Listeners(m, p)[0])); got != tt.cluster {
			t.Errorf("%s: virtualOutbound catch-all goes to %s, want %s", tt.ns, got, tt.cluster)
		}
		var deg build.Degradations
		for _, rc := range RouteConfigs(m, p, &deg) {
			last := rc.GetVirtualHosts()[len(rc.GetVirtualHosts())-1]
			if last.GetName() != tt.vhost {
				t.Errorf("%s: route %s ends with %s, want %s", tt.ns, rc.GetName(), last.GetName(), tt.vhost)
			}
			if tt.vhost == "block_all" && last.GetRoutes()[0].GetDirectResponse().GetStatus() != 502 {
				t.Errorf("%s: block_all answers %v, want 502", tt.ns, last.GetRoutes()[0].GetAction())
			}
		}
	}
}
