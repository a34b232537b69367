package build

import (
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/weftmesh/weft/pilot/mesh"
)

var web = mesh.Port{Name: "http", Number: 8080, Protocol: mesh.ProtocolHTTP}

// testCluster is a cluster of host with the given endpoints on port 8080.
func testCluster(res mesh.Resolution, eps ...mesh.Endpoint) *mesh.Cluster {
	s := &mesh.Service{Hostname: "cart.shop.svc.cluster.local", Namespace: "shop", Resolution: res, Ports: []mesh.Port{web},
		Endpoints: map[uint32][]mesh.Endpoint{8080: eps}}
	return &mesh.Cluster{Key: mesh.ClusterKey{Direction: mesh.Outbound, Port: 8080, Host: s.Hostname}, Service: s, Port: web}
}

func meshPod(ip, sa string) mesh.Endpoint {
	return mesh.Endpoint{Address: ip, Port: 8080, Namespace: "shop", ServiceAccount: sa, Healthy: true,
		Labels: map[string]string{mesh.TLSModeLabel: "istio"}}
}

func TestClusterDiscovery(t *testing.T) {
	for _, tt := range []struct {
		name      string
		res       mesh.Resolution
		proxyless bool
		want      string // discovery type, or "" when the cluster is omitted
		degraded  string
	}{
		{"EDS sidecar", mesh.ResolutionEDS, false, "EDS", ""},
		{"EDS proxyless", mesh.ResolutionEDS, true, "EDS", ""},
		{"DNS sidecar", mesh.ResolutionDNS, false, "STRICT_DNS", ""},
		{"DNS proxyless", mesh.ResolutionDNS, true, "EDS", "DNS resolution served as EDS"},
		{"passthrough sidecar", mesh.ResolutionPassthrough, false, "ORIGINAL_DST", ""},
		{"passthrough proxyless", mesh.ResolutionPassthrough, true, "", "omitted: resolution NONE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var deg Degradations
			cl := Cluster(testCluster(tt.res, meshPod("10.0.0.1", "cart")), Options{Proxyless: tt.proxyless}, &deg)
			got := ""
			if cl != nil {
				got = cl.GetType().String()
			}
			if got != tt.want {
				t.Errorf("discovery %q, want %q", got, tt.want)
			}
			if tt.degraded == "" && len(deg) > 0 || tt.degraded != "" && (len(deg) != 1 || !strings.Contains(deg[0], tt.degraded)) {
				t.Errorf("degradations %q, want one containing %q", deg, tt.degraded)
			}
			if got == "EDS" && cl.GetEdsClusterConfig().GetServiceName() != cl.Name {
				t.Errorf("EDS service name %q, want the cluster name", cl.GetEdsClusterConfig().GetServiceName())
			}
		})
	}
}

func TestClusterLoadBalancer(t *testing.T) {
	for _, tt := range []struct {
		lb        *mesh.LoadBalancer
		proxyless bool
		want      clusterv3.Cluster_LbPolicy
		degraded  bool
	}{
		{nil, false, clusterv3.Cluster_LEAST_REQUEST, false}, // Istio's sidecar default
		{nil, true, clusterv3.Cluster_ROUND_ROBIN, false},    // grpc-go's, as Istio's proxyless generator
		{&mesh.LoadBalancer{Kind: mesh.LBRoundRobin}, false, clusterv3.Cluster_ROUND_ROBIN, false},
		{&mesh.LoadBalancer{Kind: mesh.LBLeastRequest}, true, clusterv3.Cluster_LEAST_REQUEST, false},
		{&mesh.LoadBalancer{Kind: mesh.LBRandom}, false, clusterv3.Cluster_RANDOM, false},
		{&mesh.LoadBalancer{Kind: mesh.LBRandom}, true, clusterv3.Cluster_ROUND_ROBIN, true},
		{&mesh.LoadBalancer{Kind: mesh.LBMaglev}, false, clusterv3.Cluster_MAGLEV, false},
		{&mesh.LoadBalancer{Kind: mesh.LBMaglev}, true, clusterv3.Cluster_RING_HASH, true},
		{&mesh.LoadBalancer{Kind: mesh.LBRingHash, Hash: &mesh.HashKey{MinRingSize: 4096}}, false, clusterv3.Cluster_RING_HASH, false},
	} {
		c := testCluster(mesh.ResolutionEDS)
		c.Policy.LoadBalancer = tt.lb
		var deg Degradations
		cl := Cluster(c, Options{Proxyless: tt.proxyless}, &deg)
		if cl.LbPolicy != tt.want || (len(deg) > 0) != tt.degraded {
			t.Errorf("%+v proxyless=%v: %s, degradations %q; want %s, degraded=%v", tt.lb, tt.proxyless, cl.LbPolicy, deg, tt.want, tt.degraded)
		}
		if tt.lb != nil && tt.lb.Hash != nil && cl.GetRingHashLbConfig().GetMinimumRingSize().GetValue() != 4096 {
			t.Errorf("ring size %v, want 4096", cl.GetRingHashLbConfig())
		}
	}
}

// Proxyless clusters keep only the circuit breaker grpc-go reads.
func TestClusterConnectionPool(t *testing.T) {
	c := testCluster(mesh.ResolutionEDS)
	c.Policy.ConnectionPool = &mesh.ConnectionPool{MaxConnections: 10, MaxRequests: 20, MaxPendingRequests: 30, ConnectTimeout: time.Second, IdleTimeout: time.Minute}
	side := Cluster(c, Options{}, &Degradations{})
	th := side.GetCircuitBreakers().GetThresholds()[0]
	if th.GetMaxConnections().GetValue() != 10 || th.GetMaxRequests().GetValue() != 20 || th.GetMaxPendingRequests().GetValue() != 30 {
		t.Errorf("sidecar thresholds %v", th)
	}
	if side.GetConnectTimeout().AsDuration() != time.Second || side.TypedExtensionProtocolOptions == nil {
		t.Errorf("sidecar connect timeout %v, protocol options %v", side.GetConnectTimeout(), side.TypedExtensionProtocolOptions)
	}
	pl := Cluster(c, Options{Proxyless: true}, &Degradations{}).GetCircuitBreakers().GetThresholds()[0]
	if pl.GetMaxRequests().GetValue() != 20 || pl.MaxConnections != nil || pl.MaxPendingRequests != nil {
		t.Errorf("proxyless thresholds %v, want max_requests only", pl)
	}
}

func TestUpstreamTLSModes(t *testing.T) {
	m := &mesh.Mesh{TrustDomain: "cluster.local", PeerAuthn: mesh.PeerAuthn{Mesh: &mesh.PeerPolicy{Mode: mesh.MTLSStrict}}}
	for _, tt := range []struct {
		name      string
		tls       *mesh.ClusterTLS
		external  bool
		proxyless bool
		want      string // "match": per-endpoint socket matches, "tls", or "none"
	}{
		{"auto sidecar", nil, false, false, "match"},
		{"auto proxyless, all strict mesh endpoints", nil, false, true, "tls"},
		{"disable", &mesh.ClusterTLS{Mode: mesh.TLSDisable}, false, false, "none"},
		{"istio mutual", &mesh.ClusterTLS{Mode: mesh.TLSIstioMutual}, false, false, "tls"},
		{"external", nil, true, false, "none"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := testCluster(mesh.ResolutionEDS, meshPod("10.0.0.1", "cart"))
			c.Policy.TLS, c.Service.External = tt.tls, tt.external
			cl := Cluster(c, Options{Mesh: m, Proxyless: tt.proxyless}, &Degradations{})
			got := "none"
			switch {
			case len(cl.TransportSocketMatches) > 0:
				got = "match"
			case cl.TransportSocket != nil:
				got = "tls"
			}
			if got != tt.want {
				t.Errorf("upstream TLS %s, want %s", got, tt.want)
			}
		})
	}
}

func TestServerSANs(t *testing.T) {
	c := testCluster(mesh.ResolutionEDS, meshPod("10.0.0.2", "b"), meshPod("10.0.0.1", "a"), meshPod("10.0.0.3", "a"), mesh.Endpoint{Address: "10.0.0.4"})
	got := strings.Join(ServerSANs(c, "td"), " ")
	if got != "spiffe://td/ns/shop/sa/a spiffe://td/ns/shop/sa/b" {
		t.Errorf("SANs from endpoints: %s", got)
	}
	c.Policy.TLS = &mesh.ClusterTLS{Mode: mesh.TLSIstioMutual, SANs: []string{"spiffe://td/ns/x/sa/pinned"}}
	if got := ServerSANs(c, "td"); len(got) != 1 || got[0] != "spiffe://td/ns/x/sa/pinned" {
		t.Errorf("DestinationRule SANs not preferred: %v", got)
	}
}

// Duplicate addresses are dropped (grpc-go rejects them), health and
// weight carry over, the locality weighs the sum of its endpoints' weights
// (as istiod), and mesh pods are marked for TLS socket matching.
func TestLoadAssignment(t *testing.T) {
	plain := mesh.Endpoint{Address: "10.0.0.2", Port: 8080, Weight: 3}
	cla := LoadAssignment("c", []mesh.Endpoint{meshPod("10.0.0.1", "a"), meshPod("10.0.0.1", "a"), plain}, mesh.PeerAuthn{})
	if len(cla.Endpoints) != 1 || cla.Endpoints[0].GetLoadBalancingWeight().GetValue() != 4 {
		t.Fatalf("want one locality of weight 4, got %v", cla.Endpoints)
	}
	eps := cla.Endpoints[0].LbEndpoints
	if len(eps) != 2 {
		t.Fatalf("want 2 endpoints after dropping the duplicate, got %d", len(eps))
	}
	if eps[0].HealthStatus != corev3.HealthStatus_HEALTHY || eps[0].Metadata == nil || eps[0].GetLoadBalancingWeight().GetValue() != 1 {
		t.Errorf("mesh pod endpoint %v", eps[0])
	}
	if eps[1].HealthStatus != corev3.HealthStatus_UNHEALTHY || eps[1].Metadata != nil || eps[1].GetLoadBalancingWeight().GetValue() != 3 {
		t.Errorf("plain endpoint %v", eps[1])
	}
	if empty := LoadAssignment("c", nil, mesh.PeerAuthn{}); len(empty.Endpoints) != 0 || empty.ClusterName != "c" {
		t.Errorf("empty assignment %v", empty)
	}
}

// A mesh pod whose own PeerAuthentication disables mTLS on the endpoint's
// port (namespace-wide here, or port level) serves plaintext there, so
// automatic mTLS must not pick TLS for it: Istio's EDS drops its tlsMode.
func TestLoadAssignmentHonoursServerDisable(t *testing.T) {
	labels := map[string]string{mesh.TLSModeLabel: "istio", "app": "db"}
	pa := mesh.PeerAuthn{
		Mesh:      &mesh.PeerPolicy{Mode: mesh.MTLSStrict},
		Namespace: map[string]*mesh.PeerPolicy{"legacy": {Mode: mesh.MTLSDisable}},
		Workload: map[string][]*mesh.PeerPolicy{"shop": {{
			Selector: map[string]string{"app": "db"},
			Ports:    map[uint32]mesh.MTLSMode{9102: mesh.MTLSDisable},
		}}},
	}
	for _, tt := range []struct {
		name string
		ep   mesh.Endpoint
		mtls bool
	}{
		{"mesh STRICT", mesh.Endpoint{Address: "10.0.0.1", Port: 8080, Namespace: "shop", Labels: labels}, true},
		{"port-level DISABLE", mesh.Endpoint{Address: "10.0.0.1", Port: 9102, Namespace: "shop", Labels: labels}, false},
		{"namespace DISABLE", mesh.Endpoint{Address: "10.0.0.2", Port: 8080, Namespace: "legacy", Labels: labels}, false},
	} {
		lb := LoadAssignment("c", []mesh.Endpoint{tt.ep}, pa).Endpoints[0].LbEndpoints[0]
		if got := lb.Metadata != nil; got != tt.mtls {
			t.Errorf("%s: tlsMode metadata = %v, want %v", tt.name, got, tt.mtls)
		}
	}
}

func TestRetryPolicy(t *testing.T) {
	custom := &mesh.Retry{Attempts: 3, PerTryTimeout: time.Second, RetryOn: []string{"5xx", "unavailable"}}
	for _, tt := range []struct {
		name      string
		r         *mesh.Retry
		proxyless bool
		wantOn    string // "" means no policy
		wantN     uint32
		degraded  int
	}{
		{"sidecar default", nil, false, strings.Join(mesh.DefaultRetryOn, ","), 2, 0},
		{"proxyless default: none", nil, true, "", 0, 0},
		{"disabled", &mesh.Retry{Attempts: 0}, false, "", 0, 0},
		{"custom sidecar", custom, false, "5xx,unavailable", 3, 0},
		{"custom proxyless drops 5xx", custom, true, "unavailable", 3, 1},
		{"proxyless nothing left", &mesh.Retry{Attempts: 1, RetryOn: []string{"5xx"}}, true, "", 0, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var deg Degradations
			p := RetryPolicy(tt.r, Options{Proxyless: tt.proxyless}, &deg)
			if p.GetRetryOn() != tt.wantOn || p.GetNumRetries().GetValue() != tt.wantN || len(deg) != tt.degraded {
				t.Errorf("policy %v, degradations %q; want retry_on %q x%d, %d degradations", p, deg, tt.wantOn, tt.wantN, tt.degraded)
			}
			if p != nil && !tt.proxyless && len(p.RetryHostPredicate) != 1 {
				t.Error("sidecar retries should prefer other hosts")
			}
		})
	}
}

func TestRouteMatch(t *testing.T) {
	m := &mesh.Match{
		URI:           &mesh.StringMatch{Kind: mesh.MatchRegex, Value: "^/a$"},
		IgnoreURICase: true,
		Headers:       []mesh.HeaderMatch{{Name: "x-env", Match: mesh.StringMatch{Kind: mesh.MatchExact, Value: "dev"}, Invert: true}},
		QueryParams:   []mesh.HeaderMatch{{Name: "q", Match: mesh.StringMatch{Kind: mesh.MatchPrefix, Value: "x"}}},
	}
	var deg Degradations
	side := RouteMatch(m, Options{}, &deg)
	if side.GetSafeRegex().GetRegex() != "^/a$" || side.GetCaseSensitive().GetValue() || len(side.Headers) != 1 || !side.Headers[0].InvertMatch || len(side.QueryParameters) != 1 {
		t.Errorf("sidecar match %v", side)
	}
	pl := RouteMatch(m, Options{Proxyless: true}, &deg)
	if len(pl.QueryParameters) != 0 || len(deg) != 1 {
		t.Errorf("proxyless query params %v, degradations %q", pl.QueryParameters, deg)
	}
	if all := RouteMatch(nil, Options{}, &deg); all.GetPrefix() != "/" {
		t.Errorf("no match should be prefix /: %v", all)
	}
	for kind, check := range map[mesh.MatchKind]func(*routev3.RouteMatch) bool{
		mesh.MatchExact:  func(r *routev3.RouteMatch) bool { return r.GetPath() == "/v" },
		mesh.MatchPrefix: func(r *routev3.RouteMatch) bool { return r.GetPrefix() == "/v" },
	} {
		if r := RouteMatch(&mesh.Match{URI: &mesh.StringMatch{Kind: kind, Value: "/v"}}, Options{}, &deg); !check(r) {
			t.Errorf("kind %d: %v", kind, r)
		}
	}
}

// A destination without a port takes the listener's: the VirtualService
// left it to the port the traffic arrived on.
func TestClusterNameFillsListenerPort(t *testing.T) {
	k := mesh.ClusterKey{Direction: mesh.Outbound, Host: "h", Subset: "v1"}
	if got := ClusterName(k, Options{ListenerPort: 9080}); got != "outbound|9080|v1|h" {
		t.Errorf("ClusterName = %s", got)
	}
	k.Port = 80
	if got := ClusterName(k, Options{ListenerPort: 9080}); got != "outbound|80|v1|h" {
		t.Errorf("an explicit port was replaced: %s", got)
	}
}

func TestRedirectAndDirectResponse(t *testing.T) {
	for code, want := range map[uint32]routev3.RedirectAction_RedirectResponseCode{
		0: routev3.RedirectAction_MOVED_PERMANENTLY, 301: routev3.RedirectAction_MOVED_PERMANENTLY, 302: routev3.RedirectAction_FOUND,
		303: routev3.RedirectAction_SEE_OTHER, 307: routev3.RedirectAction_TEMPORARY_REDIRECT, 308: routev3.RedirectAction_PERMANENT_REDIRECT,
	} {
		if got := RedirectAction(&mesh.Redirect{Code: code}).ResponseCode; got != want {
			t.Errorf("code %d -> %s, want %s", code, got, want)
		}
	}
	a := RedirectAction(&mesh.Redirect{Path: "/new", Scheme: "https", Authority: "h", Port: 8443})
	if a.GetPathRedirect() != "/new" || a.GetSchemeRedirect() != "https" || a.HostRedirect != "h" || a.PortRedirect != 8443 {
		t.Errorf("redirect %v", a)
	}
	if d := DirectResponseAction(&mesh.DirectResponse{Status: 418}); d.Body != nil || d.Status != 418 {
		t.Errorf("empty body should be unset: %v", d)
	}
	if d := DirectResponseAction(&mesh.DirectResponse{Status: 503, Body: "later"}); d.GetBody().GetInlineString() != "later" {
		t.Errorf("body %v", d.Body)
	}
}

// A service no VirtualService routes gets one route to its default cluster.
func TestVirtualHostRoutesDefault(t *testing.T) {
	c := testCluster(mesh.ResolutionEDS)
	vh := &mesh.VirtualHost{Service: c.Service, Port: web}
	routes := VirtualHostRoutes(nil, vh, nil, Options{}, &Degradations{})
	if len(routes) != 1 || routes[0].GetRoute().GetCluster() != "outbound|8080||cart.shop.svc.cluster.local" || routes[0].Name != "default" {
		t.Errorf("default routes %v", routes)
	}
}

// A rule with several matches becomes one route per match, in order,
// named after the rule.
func TestRoutesOnePerMatch(t *testing.T) {
	key := mesh.ClusterKey{Direction: mesh.Outbound, Port: 8080, Host: "h"}
	r := &mesh.HTTPRoute{Name: "r", Destinations: []mesh.Destination{{Cluster: key, Weight: 100}},
		Matches: []mesh.Match{{URI: &mesh.StringMatch{Kind: mesh.MatchPrefix, Value: "/a"}}, {URI: &mesh.StringMatch{Kind: mesh.MatchPrefix, Value: "/b"}}}}
	unnamed := &mesh.HTTPRoute{Origin: "ns/vs.http[1]", Destinations: r.Destinations}
	routes := Routes([]*mesh.HTTPRoute{r, unnamed}, nil, Options{}, &Degradations{})
	var got []string
	for _, rt := range routes {
		got = append(got, rt.Name+"="+rt.Match.GetPrefix())
	}
	if strings.Join(got, " ") != "r.0=/a r.1=/b ns/vs.http[1].0=/" {
		t.Errorf("routes %v", got)
	}
}

func TestCorsDroppedForProxyless(t *testing.T) {
	key := mesh.ClusterKey{Direction: mesh.Outbound, Port: 8080, Host: "h"}
	r := &mesh.HTTPRoute{Name: "r", Destinations: []mesh.Destination{{Cluster: key, Weight: 100}}, Cors: &mesh.Cors{AllowMethods: []string{"GET"}},
		Fault: &mesh.Fault{HasAbort: true, AbortHTTP: 503, AbortPercent: 10}}
	var deg Degradations
	side := Route(r, &mesh.Match{}, nil, Options{}, &deg, "r")
	if side.TypedPerFilterConfig[FilterCors] == nil || side.TypedPerFilterConfig[FilterFault] == nil || len(deg) != 0 {
		t.Errorf("sidecar per-filter config %v, degradations %q", side.TypedPerFilterConfig, deg)
	}
	pl := Route(r, &mesh.Match{}, nil, Options{Proxyless: true}, &deg, "r")
	if pl.TypedPerFilterConfig[FilterCors] != nil || pl.TypedPerFilterConfig[FilterFault] == nil || len(deg) != 1 {
		t.Errorf("proxyless per-filter config %v, degradations %q", pl.TypedPerFilterConfig, deg)
	}
}
