package mesh

import (
	"fmt"
	"strings"
	"testing"
)

func svc(host, ns string, ports ...Port) *Service {
	return &Service{Hostname: host, Namespace: ns, Ports: ports, Endpoints: map[uint32][]Endpoint{}}
}

var httpPort = Port{Name: "http", Number: 8080, Protocol: ProtocolHTTP}

func TestProtocolFromName(t *testing.T) {
	for _, tt := range []struct {
		name, app string
		want      Protocol
		http, h2  bool
	}{
		{"http", "", ProtocolHTTP, true, false},
		{"HTTP-web", "", ProtocolHTTP, true, false},
		{"http2-api", "", ProtocolHTTP2, true, true},
		{"grpc-web", "", ProtocolGRPC, true, true},
		{"https", "", ProtocolHTTPS, false, false},
		{"tls-db", "", ProtocolTLS, false, false},
		{"redis", "", ProtocolTCP, false, false},
		{"", "", ProtocolTCP, false, false},
		{"tcp", "kubernetes.io/h2c", ProtocolHTTP2, true, true},
		{"http", "grpc", ProtocolGRPC, true, true}, // appProtocol outranks the name
	} {
		got := ProtocolFromName(tt.name, tt.app)
		if got != tt.want || got.IsHTTP() != tt.http || got.IsHTTP2() != tt.h2 {
			t.Errorf("ProtocolFromName(%q, %q) = %s (http %v, h2 %v), want %s (http %v, h2 %v)",
				tt.name, tt.app, got, got.IsHTTP(), got.IsHTTP2(), tt.want, tt.http, tt.h2)
		}
	}
}

func TestClusterKeyNameAndParse(t *testing.T) {
	k := ClusterKey{Direction: Outbound, Port: 9080, Subset: "v2", Host: "reviews.default.svc.cluster.local"}
	if got := k.String(); got != "outbound|9080|v2|reviews.default.svc.cluster.local" {
		t.Fatalf("String() = %q", got)
	}
	back, err := ParseClusterKey(k.String())
	if err != nil || back != k {
		t.Fatalf("ParseClusterKey(%q) = %+v, %v", k, back, err)
	}
	for _, bad := range []string{"outbound|9080|reviews", "outbound|port||h"} {
		if _, err := ParseClusterKey(bad); err == nil {
			t.Errorf("ParseClusterKey(%q) accepted", bad)
		}
	}
}

// Index orders keys by host, port, subset, so outputs are deterministic
// whatever order translation produced them in.
func TestIndexOrdersAndLooksUp(t *testing.T) {
	a, b := svc("a.ns.svc.cluster.local", "ns", httpPort), svc("b.ns.svc.cluster.local", "ns", httpPort)
	key := func(s *Service, subset string) ClusterKey {
		return ClusterKey{Direction: Outbound, Port: 8080, Subset: subset, Host: s.Hostname}
	}
	m := &Mesh{
		Services:     []*Service{b, a},
		Clusters:     []*Cluster{{Key: key(b, ""), Service: b}, {Key: key(a, "v2"), Service: a}, {Key: key(a, ""), Service: a}},
		VirtualHosts: []*VirtualHost{{Service: b, Port: httpPort}, {Service: a, Port: httpPort}},
	}
	m.Index()
	var names []string
	for _, c := range m.Clusters {
		names = append(names, c.Key.String())
	}
	want := "outbound|8080||a.ns.svc.cluster.local outbound|8080|v2|a.ns.svc.cluster.local outbound|8080||b.ns.svc.cluster.local"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("cluster order %s, want %s", got, want)
	}
	if m.Services[0] != a || m.VirtualHosts[0].Service != a {
		t.Error("services and virtual hosts are not sorted by host")
	}
	if m.ClusterNamed("outbound|8080|v2|a.ns.svc.cluster.local") != m.Cluster(key(a, "v2")) || m.Cluster(key(a, "v2")) == nil {
		t.Error("ClusterNamed and Cluster disagree")
	}
	if got := len(m.ClustersOf(a.Hostname)); got != 2 {
		t.Errorf("ClustersOf(a) = %d clusters, want 2", got)
	}
	if m.VirtualHost(b.Hostname, 8080) == nil || m.VirtualHost(b.Hostname, 9090) != nil {
		t.Error("VirtualHost lookup by host and port is wrong")
	}
}

// A pod behind two ports of one service, and behind a second service, is
// listed once per service port, whatever its endpoint count.
func TestInstancesAt(t *testing.T) {
	grpc := Port{Name: "grpc", Number: 9090, Protocol: ProtocolGRPC}
	a := svc("a.ns.svc.cluster.local", "ns", httpPort, grpc)
	a.Endpoints[8080] = []Endpoint{{Address: "10.0.0.1", Port: 18080}, {Address: "10.0.0.1", Port: 18080}}
	a.Endpoints[9090] = []Endpoint{{Address: "10.0.0.1", Port: 19090}, {Address: "10.0.0.2", Port: 19090}}
	b := svc("b.ns.svc.cluster.local", "ns", httpPort)
	b.Endpoints[8080] = []Endpoint{{Address: "10.0.0.1", Port: 28080}}
	m := &Mesh{Services: []*Service{b, a}}
	m.Index()
	got := m.InstancesAt("10.0.0.1")
	if len(got) != 3 {
		t.Fatalf("InstancesAt = %d instances, want 3: %+v", len(got), got)
	}
	if got[0].Service != a || got[0].TargetPort != 18080 || got[1].TargetPort != 19090 || got[2].Service != b {
		t.Errorf("instances out of order or with wrong target ports: %+v", got)
	}
	if len(m.InstancesAt("10.9.9.9")) != 0 {
		t.Error("an unknown IP has instances")
	}
}

func TestClusterEndpointsBySubset(t *testing.T) {
	s := svc("a.ns.svc.cluster.local", "ns", httpPort)
	s.Endpoints[8080] = []Endpoint{
		{Address: "10.0.0.1", Labels: map[string]string{"version": "v1"}},
		{Address: "10.0.0.2", Labels: map[string]string{"version": "v2", "zone": "x"}},
		{Address: "10.0.0.3"},
	}
	for _, tt := range []struct {
		subset map[string]string
		want   string
	}{
		{nil, "10.0.0.1 10.0.0.2 10.0.0.3"},
		{map[string]string{"version": "v2"}, "10.0.0.2"},
		{map[string]string{"version": "v2", "zone": "y"}, ""},
		{map[string]string{"version": "v3"}, ""},
	} {
		c := &Cluster{Service: s, Port: httpPort, SubsetLabels: tt.subset}
		var got []string
		for _, ep := range c.Endpoints() {
			got = append(got, ep.Address)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("subset %v: endpoints %v, want %s", tt.subset, got, tt.want)
		}
	}
}

func TestEndpointIdentityAndMeshTLS(t *testing.T) {
	ep := Endpoint{ServiceAccount: "cart", Namespace: "shop", Labels: map[string]string{TLSModeLabel: "istio"}}
	if got := ep.Identity("example.org"); got != "spiffe://example.org/ns/shop/sa/cart" {
		t.Errorf("Identity = %q", got)
	}
	if !ep.MeshTLSCapable() {
		t.Error("tlsMode=istio endpoint is not mesh-TLS capable")
	}
	if (Endpoint{Namespace: "shop"}).Identity("td") != "" {
		t.Error("an endpoint without service account has an identity")
	}
	if (Endpoint{Labels: map[string]string{TLSModeLabel: "disabled"}}).MeshTLSCapable() {
		t.Error("tlsMode=disabled endpoint is mesh-TLS capable")
	}
}

// Mode resolution: port, workload, namespace, mesh; UNSET defers to the
// next level and nothing at all means PERMISSIVE.
func TestPeerAuthnMode(t *testing.T) {
	pa := PeerAuthn{
		Mesh:      &PeerPolicy{Mode: MTLSStrict},
		Namespace: map[string]*PeerPolicy{"legacy": {Mode: MTLSDisable}, "open": {Mode: MTLSUnset}},
		Workload: map[string][]*PeerPolicy{"shop": {
			{Selector: map[string]string{"app": "db"}, Mode: MTLSUnset, Ports: map[uint32]MTLSMode{9102: MTLSDisable}},
			{Selector: map[string]string{"app": "db"}, Mode: MTLSDisable}, // newer: loses to the first
			{Selector: map[string]string{"app": "web"}, Mode: MTLSPermissive},
		}},
	}
	db, web := map[string]string{"app": "db"}, map[string]string{"app": "web"}
	for _, tt := range []struct {
		ns     string
		labels map[string]string
		port   uint32
		want   MTLSMode
	}{
		{"shop", db, 9102, MTLSDisable},
		{"shop", db, 5432, MTLSStrict}, // workload UNSET, no namespace policy: mesh
		{"shop", web, 80, MTLSPermissive},
		{"legacy", db, 80, MTLSDisable},
		{"open", nil, 80, MTLSStrict},
	} {
		if got := pa.Mode(tt.ns, tt.labels, tt.port); got != tt.want {
			t.Errorf("Mode(%s, %v, %d) = %s, want %s", tt.ns, tt.labels, tt.port, got, tt.want)
		}
	}
	if got := (PeerAuthn{}).Mode("shop", nil, 80); got != MTLSPermissive {
		t.Errorf("no policy: %s, want PERMISSIVE", got)
	}
	if (PeerAuthn{}).Any() || !pa.Any() {
		t.Error("Any() is wrong")
	}
}

func TestScopes(t *testing.T) {
	shop := svc("cart.shop.svc.cluster.local", "shop", httpPort)
	ext := svc("api.partner.example", "shop", httpPort)
	other := svc("reports.backoffice.svc.cluster.local", "backoffice", httpPort)
	narrow := &Scope{Ref: Ref{Kind: "Sidecar", Namespace: "shop", Name: "front"}, Selector: map[string]string{"app": "front"},
		Hosts: []HostPattern{{Namespace: "shop", Host: "*"}, {Namespace: "*", Host: "*.example"}}}
	nsDefault := &Scope{Ref: Ref{Kind: "Sidecar", Namespace: "shop", Name: "default"}, Hosts: []HostPattern{{Namespace: "~", Host: "*"}}}
	root := &Scope{Ref: Ref{Kind: "Sidecar", Namespace: "istio-system", Name: "default"},
		Hosts: []HostPattern{{Namespace: "backoffice", Host: "reports.backoffice.svc.cluster.local"}}}
	m := &Mesh{Services: []*Service{shop, ext, other},
		Scopes: &Scopes{RootNamespace: "istio-system", ByNamespace: map[string][]*Scope{"shop": {narrow, nsDefault}, "istio-system": {root}}}}
	m.Index()

	for _, tt := range []struct {
		ns     string
		labels map[string]string
		want   *Scope
		sees   string
	}{
		{"shop", map[string]string{"app": "front"}, narrow, "api.partner.example cart.shop.svc.cluster.local"},
		{"shop", map[string]string{"app": "cart"}, nsDefault, ""},
		{"backoffice", nil, root, "reports.backoffice.svc.cluster.local"},
	} {
		s := m.ScopeFor(tt.ns, tt.labels)
		if s != tt.want {
			t.Errorf("ScopeFor(%s, %v) = %s, want %s", tt.ns, tt.labels, s.Key(), tt.want.Key())
			continue
		}
		var seen []string
		for _, v := range m.Scoped(s).Services {
			seen = append(seen, v.Hostname)
		}
		if strings.Join(seen, " ") != tt.sees {
			t.Errorf("%s sees %v, want %s", s.Key(), seen, tt.sees)
		}
	}
	first := m.Scoped(narrow)
	if again := m.Scoped(narrow); again != first {
		t.Error("Scoped is rebuilt for the same scope")
	}
	if m.Scoped(nil) != m || !(*Scope)(nil).Sees(other) {
		t.Error("a nil scope must see the whole mesh")
	}
}

func TestWorkloadsFind(t *testing.T) {
	a := &Workload{Name: "a", Namespace: "shop", IP: "10.0.0.1"}
	dup := &Workload{Name: "dup", Namespace: "shop", IP: "10.0.0.1"}
	b := &Workload{Name: "b", Namespace: "api", IP: "10.0.0.2"}
	ws := NewWorkloads([]*Workload{a, dup, b})
	for _, tt := range []struct {
		ns, name, ip string
		want         *Workload
	}{
		{"shop", "dup", "10.0.0.2", dup}, // the name outranks the IP
		{"shop", "", "10.0.0.1", a},      // first one wins a shared IP
		{"shop", "gone", "10.0.0.2", b},
		{"shop", "gone", "10.9.9.9", nil},
	} {
		if got := ws.Find(tt.ns, tt.name, tt.ip); got != tt.want {
			t.Errorf("Find(%s, %s, %s) = %v, want %v", tt.ns, tt.name, tt.ip, got, tt.want)
		}
	}
	all := ws.All()
	if len(all) != 3 || all[0] != b || all[1] != a || all[2] != dup {
		t.Errorf("All() not sorted by namespace/name: %v", all)
	}
}

// Bound root scopes and scoped meshes are kept for at most maxCachedViews
// namespaces: the namespace is the proxy's claim. Past the bound a proxy
// still gets its scope, computed afresh.
func TestScopeCachesAreBounded(t *testing.T) {
	root := &Scope{Ref: Ref{Kind: "Sidecar", Namespace: "istio-system", Name: "default"}, Hosts: []HostPattern{{Namespace: OwnNamespace, Host: "*"}}}
	svc := func(ns string) *Service { return &Service{Hostname: "a." + ns + ".svc.cluster.local", Namespace: ns} }
	m := &Mesh{Services: []*Service{svc("ns-1")}, Scopes: &Scopes{RootNamespace: "istio-system", ByNamespace: map[string][]*Scope{"istio-system": {root}}}}
	m.Index()
	for i := range maxCachedViews + 100 {
		s := m.ScopeFor(fmt.Sprintf("ns-%d", i), nil)
		if !s.Sees(svc(fmt.Sprintf("ns-%d", i))) || s.Sees(svc("other")) {
			t.Fatalf("ns-%d: the root Sidecar's ./* must mean ns-%d", i, i)
		}
		m.Scoped(s)
	}
	if b, v := len(m.Scopes.bound), len(m.Scopes.scoped); b > maxCachedViews || v > maxCachedViews {
		t.Fatalf("%d bound scopes and %d scoped meshes kept for %d namespaces, want at most %d each", b, v, maxCachedViews+100, maxCachedViews)
	}
}
