package mesh

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// fullMesh sets every exported field of every IR type to a non-zero value
// (TestFullMeshIsFull enforces it), so a field added to the IR without a
// place in the YAML form fails TestYAMLRoundTripKeepsEveryField.
func fullMesh() *Mesh {
	u := func(v uint32) *uint32 { return &v }
	yes := true
	idle := 2 * time.Minute
	labels := map[string]string{"app": "cart"}
	port := Port{Name: "http", Number: 8080, Protocol: ProtocolHTTP}
	s := &Service{Hostname: "cart.shop.svc.cluster.local", Namespace: "shop", Name: "cart", Addresses: []string{"10.0.0.1"},
		Ports: []Port{port}, Resolution: ResolutionDNS, External: true, SubjectAltNames: []string{"cart.example"}, ExportTo: []string{"shop"},
		Endpoints: map[uint32][]Endpoint{8080: {{Address: "10.1.0.1", Port: 18080, Labels: labels, ServiceAccount: "cart",
			Namespace: "shop", Weight: 3, Healthy: true, Locality: "us-east/zone-a/rack1", NodeName: "node-1"}}}}
	localityLB := &LocalityLB{Disabled: true, Distribute: []LocalityDistribute{{From: "us-east/*", To: []LocalityWeight{{Locality: "us-west/*", Weight: 100}}}},
		Failover: []LocalityFailover{{From: "us-east", To: "us-west"}}, FailoverPriority: []string{"topology.kubernetes.io/zone"}}
	key := ClusterKey{Direction: Outbound, Port: 8080, Subset: "v1", Host: s.Hostname}
	sm := StringMatch{Kind: MatchRegex, Value: "^/a"}
	hm := HeaderMatch{Name: "x-a", Match: sm, Invert: true}
	ops := HeaderOps{RequestSet: labels, RequestAdd: labels, RequestRemove: []string{"x"}, ResponseSet: labels,
		ResponseAdd: labels, ResponseRemove: []string{"y"}}
	dest := Destination{Cluster: key, Weight: 70, Headers: ops}
	route := &HTTPRoute{
		Name:           "r",
		Matches:        []Match{{URI: &sm, IgnoreURICase: true, Headers: []HeaderMatch{hm}, QueryParams: []HeaderMatch{hm}, Port: 8080, SourceLabels: labels, SourceNamespace: "web"}},
		Destinations:   []Destination{dest},
		Redirect:       &Redirect{Path: "/p", Authority: "a", Port: 1, Scheme: "https", Code: 308},
		DirectResponse: &DirectResponse{Status: 503, Body: "b"},
		Rewrite:        &Rewrite{Prefix: "/", Authority: "a", RegexMatch: "m", RegexReplace: "r"},
		Timeout:        time.Second,
		Retry:          &Retry{Attempts: 2, PerTryTimeout: time.Millisecond, RetryOn: []string{"5xx"}, StatusCodes: []uint32{503}, Backoff: time.Second, RemoteLocalities: true, AllowPreviousHosts: true},
		Fault: &Fault{Delay: time.Second, DelayPercent: 1.5, HasDelay: true, AbortHTTP: 503, AbortGRPC: u(14),
			AbortPercent: 2.5, HasAbort: true},
		Mirrors: []Mirror{{Cluster: key, Percent: 10}},
		Headers: ops,
		Cors: &Cors{AllowOrigins: []StringMatch{sm}, AllowMethods: []string{"GET"}, AllowHeaders: []string{"h"},
			ExposeHeaders: []string{"e"}, MaxAge: time.Hour, AllowCredentials: &yes},
		Origin: "shop/cart.http[0]",
	}
	policy := &PeerPolicy{Ref: Ref{Kind: "PeerAuthentication", Namespace: "shop", Name: "p"}, Selector: labels, Mode: MTLSStrict,
		Ports: map[uint32]MTLSMode{9102: MTLSDisable}}
	m := &Mesh{
		Version: "v", SameClustersAs: "u", SameListenersAs: "w",
		Services: []*Service{s},
		VirtualHosts: []*VirtualHost{{Service: s, Port: port, HTTPRoutes: []*HTTPRoute{route},
			TCPRoutes: []*TCPRoute{{Port: 8080, SourceLabels: labels, SourceNamespace: "web", Destinations: []Destination{dest}, Origin: "o"}},
			TLSRoutes: []*TLSRoute{{SNIHosts: []string{"a.example"}, DestinationSubnets: []string{"10.0.0.0/8"}, Port: 443, SourceLabels: labels,
				SourceNamespace: "web", Destinations: []Destination{dest}, Origin: "t"}}}},
		Clusters: []*Cluster{{Key: key, Service: s, Port: port, SubsetLabels: labels, Policy: TrafficPolicy{
			LoadBalancer: &LoadBalancer{Kind: LBRingHash, Hash: &HashKey{Header: "h", Cookie: "c", CookiePath: "/", CookieTTL: time.Minute,
				SourceIP: true, QueryParam: "q", MinRingSize: 64}},
			ConnectionPool: fullPool(),
			OutlierDetection: &OutlierDetection{Consecutive5xx: u(5), ConsecutiveGateway: u(2), Interval: time.Second,
				BaseEjectionTime: time.Minute, MaxEjectionPercent: 10, MinHealthPercent: 50, SplitExternalLocalErr: true, ConsecutiveLocalOrigin: 4,
				FailurePercentage: u(85)},
			TLS: &ClusterTLS{Mode: TLSMutual, SANs: []string{"spiffe://td/ns/shop/sa/cart"}, SNI: "cart", CACertificates: "/ca.pem",
				ClientCertificate: "/c.pem", PrivateKey: "/k.pem", CACRL: "/crl.pem", InsecureSkipVerify: true, CredentialName: "cart-cred",
				CACertCredentialName: "cart-ca", Selected: true},
			TCPProxy:   &TCPProxyLimits{IdleTimeout: &idle, MaxConnectionDuration: time.Hour},
			LocalityLB: localityLB,
		}}},
		LocalityLB: localityLB,
		Diagnostics: []Diagnostic{{Ref: Ref{Kind: "VirtualService", Namespace: "shop", Name: "cart"}, Field: "spec.tls",
			Reason: ReasonUnsupportedField, Message: "m"}},
		Workloads:   NewWorkloads([]*Workload{{Name: "cart-0", Namespace: "shop", IP: "10.1.0.1", Labels: labels, ServiceAccount: "cart", Locality: "us-east/zone-a", NodeName: "node-1"}}),
		PeerAuthn:   PeerAuthn{Mesh: policy, Namespace: map[string]*PeerPolicy{"shop": policy}, Workload: map[string][]*PeerPolicy{"shop": {policy}}},
		TrustDomain: "td",
		Views: map[string]*View{"shop": {Namespace: "shop",
			VirtualHosts: []*VirtualHost{{Service: s, Port: port, HTTPRoutes: []*HTTPRoute{route}, TCPRoutes: []*TCPRoute{{Port: 8080,
				SourceLabels: labels, SourceNamespace: "web", Destinations: []Destination{dest}, Origin: "o"}},
				TLSRoutes: []*TLSRoute{{SNIHosts: []string{"a.example"}, DestinationSubnets: []string{"10.0.0.0/8"}, Port: 443, SourceLabels: labels,
					SourceNamespace: "web", Destinations: []Destination{dest}, Origin: "o"}}}},
			Selected: []*SelectedRule{{Ref: Ref{Kind: "DestinationRule", Namespace: "shop", Name: "d"}, Selector: labels}}}},
		Scopes: &Scopes{RootNamespace: "istio-system", ByNamespace: map[string][]*Scope{"shop": {{
			Ref: Ref{Kind: "Sidecar", Namespace: "shop", Name: "s"}, Selector: labels, Hosts: []HostPattern{{Namespace: "shop", Host: "*"}},
			RegistryOnly: true, InboundPoolDefault: fullPool(),
			EgressPorts: []EgressListener{{Port: Port{Name: "http", Number: 9080, Protocol: ProtocolHTTP},
				Hosts: []HostPattern{{Namespace: "shop", Host: "reviews.shop.svc.cluster.local"}}, Bind: "127.0.0.1", CaptureNone: true}},
			EgressProxy: &ClusterKey{Direction: Outbound, Port: 443, Subset: "v1", Host: "egress.istio-system.svc.cluster.local"},
			Ingress: []IngressListener{{Port: Port{Name: "http", Number: 9080, Protocol: ProtocolHTTP}, DefaultEndpoint: "127.0.0.1:8080",
				Bind: "127.0.0.1", CaptureNone: true, Pool: fullPool()}}}}}},
	}
	// The views' services and clusters are the mesh's, so they are as full.
	m.Views["shop"].Services = m.Services
	m.Views["shop"].Clusters = m.Clusters
	m.Views["shop"].Selected[0].Clusters = m.Clusters
	alt := &Alternate{Service: s, VirtualHosts: m.VirtualHosts, Clusters: m.Clusters}
	m.Alternates = []*Alternate{alt}
	m.Views["shop"].Alternates = []*Alternate{alt}
	m.Index()
	return m
}

func TestFullMeshIsFull(t *testing.T) {
	m := fullMesh()
	assertFull(t, "Mesh", reflect.ValueOf(*m))
	assertFull(t, "Workload", reflect.ValueOf(*m.Workloads.All()[0]))
}

// assertFull reports every exported field reachable from v that holds its
// zero value or an empty collection.
func assertFull(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			t.Errorf("%s is nil", path)
			return
		}
		assertFull(t, path, v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				assertFull(t, path+"."+f.Name, v.Field(i))
			}
		}
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			t.Errorf("%s is empty", path)
		}
		if v.Kind() == reflect.Slice {
			for i := 0; i < v.Len(); i++ {
				assertFull(t, path+"[]", v.Index(i))
			}
			return
		}
		for _, k := range v.MapKeys() {
			assertFull(t, path+"{}", v.MapIndex(k))
		}
	default:
		if v.IsZero() {
			t.Errorf("%s is zero", path)
		}
	}
}

func TestYAMLRoundTripKeepsEveryField(t *testing.T) {
	m := fullMesh()
	text, err := MarshalYAML(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalYAML(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	for name, pair := range map[string][2]any{
		"Version":       {m.Version, back.Version},
		"SameClusters":  {m.SameClustersAs, back.SameClustersAs},
		"SameListeners": {m.SameListenersAs, back.SameListenersAs},
		"TrustDomain":   {m.TrustDomain, back.TrustDomain},
		"Services":      {m.Services, back.Services},
		"Clusters":      {m.Clusters, back.Clusters},
		"VirtualHosts":  {m.VirtualHosts, back.VirtualHosts},
		"Views":         {m.Views, back.Views},
		"Alternates":    {m.Alternates, back.Alternates},
		"Diagnostics":   {m.Diagnostics, back.Diagnostics},
		"Workloads":     {m.Workloads.All(), back.Workloads.All()},
		"PeerAuthn":     {m.PeerAuthn, back.PeerAuthn},
		"Scopes":        {m.Scopes.ByNamespace, back.Scopes.ByNamespace},
		"RootNs":        {m.Scopes.RootNamespace, back.Scopes.RootNamespace},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s changed in the round trip:\n before %#v\n after  %#v", name, pair[0], pair[1])
		}
	}
	if back.InstancesAt("10.1.0.1") == nil || back.ClusterNamed("outbound|8080|v1|cart.shop.svc.cluster.local") == nil {
		t.Error("the mesh read back is not indexed")
	}
}

func TestUnmarshalYAMLRejectsUnknownPolicyEnums(t *testing.T) {
	text, err := MarshalYAML(fullMesh())
	if err != nil {
		t.Fatal(err)
	}
	for old, want := range map[string]string{
		"kind: RING_HASH": `unknown load balancer "RING_HAS"`,
		"mode: STRICT":    `unknown mTLS mode "STRIKT"`,
		"mode: MUTUAL":    `unknown TLS mode "MUTAL"`,
	} {
		bad := strings.Replace(string(text), old, strings.NewReplacer("RING_HASH", "RING_HAS", "STRICT", "STRIKT", "MUTUAL", "MUTAL").Replace(old), 1)
		if bad == string(text) {
			t.Fatalf("%q not in the YAML", old)
		}
		if _, err := UnmarshalYAML([]byte(bad)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %s", old, err, want)
		}
	}
}

func fullPool() *ConnectionPool {
	idle := 2 * time.Minute
	return &ConnectionPool{MaxConnections: 1, ConnectTimeout: time.Second, MaxPendingRequests: 2, MaxRequests: 3,
		MaxRequestsPerConnection: 4, MaxRetries: 5, IdleTimeout: time.Minute, H2Upgrade: true,
		TCPKeepalive:          &TCPKeepalive{Probes: 3, Time: time.Minute, Interval: time.Second},
		MaxConnectionDuration: time.Hour, TCPIdleTimeout: &idle, MaxConcurrentStreams: 7,
		H2KeepAlive: &H2KeepAlive{Interval: time.Second, Timeout: time.Minute}, UseClientProtocol: true}
}
