package simulate

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/build"
)

var (
	httpReq = &Request{Protocol: HTTP1, DestIP: "10.96.0.20", DestPort: 9080}
	tcpReq  = &Request{Protocol: TCP, DestIP: "10.96.0.20", DestPort: 9080}
)

func edsCluster(name, service string) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: build.ADS(), ServiceName: service},
		ConnectTimeout:       durationpb.New(1e9),
	}
}

func staticCluster(name string, t clusterv3.Cluster_DiscoveryType, eps ...*endpointv3.LbEndpoint) *clusterv3.Cluster {
	c := &clusterv3.Cluster{Name: name, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: t}}
	if len(eps) > 0 {
		c.LoadAssignment = cla(name, eps...)
	}
	return c
}

func cla(name string, eps ...*endpointv3.LbEndpoint) *endpointv3.ClusterLoadAssignment {
	return &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: eps}}}
}

func lbEp(addr string, port uint32, status corev3.HealthStatus) *endpointv3.LbEndpoint {
	return &endpointv3.LbEndpoint{
		HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: build.SocketAddress(addr, port)}},
		HealthStatus:   status,
	}
}

func withTLSMode(ep *endpointv3.LbEndpoint, mode string) *endpointv3.LbEndpoint {
	ep.Metadata = &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{
		transportSocketMatch: {Fields: map[string]*structpb.Value{"tlsMode": structpb.NewStringValue(mode)}}}}
	return ep
}

// istioMTLS is weft's own ISTIO_MUTUAL socket, as build emits it.
func istioMTLS(t *testing.T) *corev3.TransportSocket {
	t.Helper()
	c := &mesh.Cluster{Key: mesh.ClusterKey{Port: 9080, Host: "reviews.default.svc.cluster.local"}}
	return build.UpstreamTLS(c, []string{"spiffe://cluster.local/ns/default/sa/reviews"}, build.Options{})
}

// simpleTLS is a DestinationRule SIMPLE socket with the user's CA.
func simpleTLS(t *testing.T) *corev3.TransportSocket {
	t.Helper()
	ctx := &tlsv3.UpstreamTlsContext{Sni: "api.example.com", CommonTlsContext: &tlsv3.CommonTlsContext{
		ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
			MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{{SanType: tlsv3.SubjectAltNameMatcher_DNS,
				Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Suffix{Suffix: ".example.com"}}}},
		}}}}
	a, err := anypb.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &corev3.TransportSocket{Name: build.TransportSocketTLS, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a}}
}

func run(t *testing.T, c *Config, cluster string, req *Request) *Result {
	t.Helper()
	res := &Result{}
	if err := c.upstream(cluster, req, res); err != nil {
		t.Fatalf("upstream(%s): %v", cluster, err)
	}
	if len(res.Upstreams) != 1 {
		t.Fatalf("upstream(%s) appended %d upstreams, want 1", cluster, len(res.Upstreams))
	}
	return res
}

func configOf(clusters ...*clusterv3.Cluster) *Config {
	c := NewConfig()
	for _, cl := range clusters {
		c.Clusters[cl.GetName()] = cl
	}
	return c
}

func TestUpstreamFailures(t *testing.T) {
	black := staticCluster("BlackHoleCluster", clusterv3.Cluster_STATIC)
	noCLA := edsCluster("outbound|9080||reviews", "")
	unhealthy := staticCluster("down", clusterv3.Cluster_STATIC, lbEp("10.0.0.1", 80, corev3.HealthStatus_UNHEALTHY))
	noPanic := staticCluster("nopanic", clusterv3.Cluster_STATIC, lbEp("10.0.0.1", 80, corev3.HealthStatus_DRAINING))
	noPanic.CommonLbConfig = &clusterv3.Cluster_CommonLbConfig{HealthyPanicThreshold: &typev3.Percent{Value: 0}}
	c := configOf(black, noCLA, unhealthy, noPanic)
	tests := []struct {
		name, cluster string
		req           *Request
		status        int
		flag, reason  string // reason: a substring
	}{
		// Envoy's router answers 503 NC when the route's cluster does not exist.
		{"unknown cluster, HTTP", "outbound|1||nowhere", httpReq, 503, "NC", "not found"},
		// tcp_proxy closes the connection instead, still flagged NC.
		{"unknown cluster, TCP", "outbound|1||nowhere", tcpReq, 0, "NC", "not found"},
		// A cluster with no hosts: 503 UH ("no healthy upstream").
		{"BlackHoleCluster, HTTP", "BlackHoleCluster", httpReq, 503, "UH", "BlackHoleCluster is meant to"},
		// tcp_proxy closes with UH.
		{"BlackHoleCluster, TCP", "BlackHoleCluster", tcpReq, 0, "UH", "no endpoints"},
		// EDS with no assignment held: no hosts, 503 UH.
		{"EDS without assignment", noCLA.Name, httpReq, 503, "UH", "include_eds"},
		// healthy_panic_threshold 0 disables panic mode: no healthy host is UH.
		{"all unhealthy, panic disabled", "nopanic", httpReq, 503, "UH", "panic mode is disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, c, tt.cluster, tt.req)
			f := res.Failure
			if f == nil || f.Status != tt.status || f.Flag != tt.flag || !strings.Contains(f.Reason, tt.reason) {
				t.Fatalf("failure = %+v, want %d %s (%q)", f, tt.status, tt.flag, tt.reason)
			}
		})
	}
	// The default 50% panic threshold: every host unhealthy still forwards,
	// to all of them regardless of health.
	res := run(t, c, "down", httpReq)
	if res.Failure != nil || !traceHas(res, "panic threshold") {
		t.Fatalf("all unhealthy: failure %v, trace %v; want panic-mode forwarding", res.Failure, res.Trace)
	}
}

func traceHas(res *Result, s string) bool {
	for _, st := range res.Trace {
		if strings.Contains(st.Detail, s) {
			return true
		}
	}
	return false
}

// Envoy's EDS health_status: UNKNOWN is read as HEALTHY; DRAINING and
// TIMEOUT as UNHEALTHY; DEGRADED hosts take traffic only when healthy ones
// are too few (so they are not Healthy, but do not trigger panic or UH).
func TestUpstreamHealthStatuses(t *testing.T) {
	statuses := []corev3.HealthStatus{corev3.HealthStatus_UNKNOWN, corev3.HealthStatus_HEALTHY, corev3.HealthStatus_UNHEALTHY,
		corev3.HealthStatus_DRAINING, corev3.HealthStatus_TIMEOUT, corev3.HealthStatus_DEGRADED}
	var eps []*endpointv3.LbEndpoint
	for i, s := range statuses {
		eps = append(eps, lbEp("10.0.0.1", uint32(8000+i), s))
	}
	res := run(t, configOf(staticCluster("mixed", clusterv3.Cluster_STATIC, eps...)), "mixed", httpReq)
	var got []bool
	for _, ep := range res.Upstreams[0].Endpoints {
		got = append(got, ep.Healthy)
	}
	if want := []bool{true, true, false, false, false, false}; !reflect.DeepEqual(got, want) {
		t.Fatalf("healthy = %v, want %v", got, want)
	}
	if res.Failure != nil || !traceHas(res, "degraded hosts") || traceHas(res, "panic") {
		t.Fatalf("failure %v trace %v: want degraded noted, no panic (3 of 6 available)", res.Failure, res.Trace)
	}
}

// EDS endpoints come from the assignment named by eds_cluster_config's
// service_name (else the cluster name), with weight (1 when unset),
// locality and priority as sent.
func TestUpstreamEDSEndpoints(t *testing.T) {
	cl := edsCluster("outbound|9080|v1|reviews", "reviews-v1-eds")
	cl.LbPolicy = clusterv3.Cluster_LEAST_REQUEST
	weighted := lbEp("10.244.1.2", 9080, corev3.HealthStatus_HEALTHY)
	weighted.LoadBalancingWeight = wrapperspb.UInt32(3)
	a := &endpointv3.ClusterLoadAssignment{ClusterName: "reviews-v1-eds", Endpoints: []*endpointv3.LocalityLbEndpoints{
		{Locality: &corev3.Locality{Region: "eu", Zone: "eu-1"}, LbEndpoints: []*endpointv3.LbEndpoint{weighted}},
		{Priority: 1, LbEndpoints: []*endpointv3.LbEndpoint{lbEp("fd00::5", 9080, corev3.HealthStatus_UNKNOWN)}},
	}}
	c := configOf(cl)
	c.Endpoints[a.ClusterName] = a
	up := run(t, c, cl.Name, httpReq).Upstreams[0]
	want := []Endpoint{
		{Address: "10.244.1.2:9080", Weight: 3, Locality: "eu/eu-1/", Healthy: true},
		{Address: "[fd00::5]:9080", Weight: 1, Priority: 1, Healthy: true},
	}
	if up.Type != "EDS" || up.LB != "LEAST_REQUEST" || up.TransportSocket != "plaintext" || !reflect.DeepEqual(up.Endpoints, want) {
		t.Fatalf("upstream = %+v, want EDS LEAST_REQUEST plaintext %+v", up, want)
	}
}

// Cluster.transport_socket_matches: the first match whose criteria are all
// in the endpoint's envoy.transport_socket_match metadata wins; then the
// locality's metadata is tried; then the cluster's transport_socket. An
// empty match matches every endpoint. weft's auto mTLS relies on it:
// tlsMode=istio endpoints get Istio mTLS, others plaintext.
func TestUpstreamTransportSocketMatches(t *testing.T) {
	tlsMatch := &clusterv3.Cluster_TransportSocketMatch{Name: "tlsMode-istio",
		Match:           &structpb.Struct{Fields: map[string]*structpb.Value{"tlsMode": structpb.NewStringValue("istio")}},
		TransportSocket: istioMTLS(t)}
	plain := &clusterv3.Cluster_TransportSocketMatch{Name: "tlsMode-disabled", Match: &structpb.Struct{}}
	locality := &endpointv3.LocalityLbEndpoints{
		Metadata:    withTLSMode(&endpointv3.LbEndpoint{}, "istio").Metadata,
		LbEndpoints: []*endpointv3.LbEndpoint{lbEp("10.0.0.3", 80, 0)},
	}
	tests := []struct {
		name    string
		matches []*clusterv3.Cluster_TransportSocketMatch
		def     *corev3.TransportSocket
		want    []string // per endpoint: meshed, plain, meshed locality
		wantDef string
	}{
		{"auto mTLS as weft sends it", []*clusterv3.Cluster_TransportSocketMatch{tlsMatch, plain}, nil,
			[]string{"istio-mtls", "plaintext", "plaintext"}, "plaintext"},
		// The empty match first takes every endpoint, meshed or not.
		{"first match wins", []*clusterv3.Cluster_TransportSocketMatch{plain, tlsMatch}, nil,
			[]string{"plaintext", "plaintext", "plaintext"}, "plaintext"},
		// No endpoint match: the locality's metadata is matched next, and
		// with no match at all the cluster's own socket applies.
		{"locality, then cluster default", []*clusterv3.Cluster_TransportSocketMatch{tlsMatch}, simpleTLS(t),
			[]string{"istio-mtls", "", "istio-mtls"}, "tls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := edsCluster("auto", "")
			cl.TransportSocketMatches, cl.TransportSocket = tt.matches, tt.def
			c := configOf(cl)
			c.Endpoints["auto"] = cla("auto", withTLSMode(lbEp("10.0.0.1", 80, 0), "istio"), lbEp("10.0.0.2", 80, 0))
			c.Endpoints["auto"].Endpoints = append(c.Endpoints["auto"].Endpoints, locality)
			up := run(t, c, "auto", httpReq).Upstreams[0]
			var got []string
			for _, ep := range up.Endpoints {
				got = append(got, ep.TransportSocket)
			}
			if !reflect.DeepEqual(got, tt.want) || up.TransportSocket != tt.wantDef {
				t.Fatalf("sockets = %q (cluster %s), want %q (cluster %s)", got, up.TransportSocket, tt.want, tt.wantDef)
			}
		})
	}
}

// weft's ISTIO_MUTUAL: SDS "default" certificate validated against SDS
// "ROOTCA", Istio's SNI and the destination's SPIFFE IDs; any other TLS is
// "tls", with its SNI and SAN matchers reported.
func TestUpstreamTLS(t *testing.T) {
	mtls := staticCluster("mtls", clusterv3.Cluster_STATIC, lbEp("10.0.0.1", 80, 0))
	mtls.TransportSocket = istioMTLS(t)
	simple := staticCluster("simple", clusterv3.Cluster_STRICT_DNS, lbEp("api.example.com", 443, 0))
	simple.TransportSocket = simpleTLS(t)
	c := configOf(mtls, simple)
	tests := []struct {
		cluster, kind, sni string
		sans               []string
	}{
		{"mtls", "istio-mtls", "outbound_.9080_._.reviews.default.svc.cluster.local", []string{"spiffe://cluster.local/ns/default/sa/reviews"}},
		{"simple", "tls", "api.example.com", []string{"DNS:suffix:.example.com"}},
	}
	for _, tt := range tests {
		up := run(t, c, tt.cluster, httpReq).Upstreams[0]
		if up.TransportSocket != tt.kind || up.SNI != tt.sni || !reflect.DeepEqual(up.SANs, tt.sans) {
			t.Errorf("%s: %s sni %q sans %q, want %s %q %q", tt.cluster, up.TransportSocket, up.SNI, up.SANs, tt.kind, tt.sni, tt.sans)
		}
	}
}

// ORIGINAL_DST sends to the connection's original destination; DNS
// clusters list host names, which Envoy resolves.
func TestUpstreamDiscoveryTypes(t *testing.T) {
	orig := staticCluster("PassthroughCluster", clusterv3.Cluster_ORIGINAL_DST)
	orig.LbPolicy = clusterv3.Cluster_CLUSTER_PROVIDED
	dns := staticCluster("outbound|443||api.example.com", clusterv3.Cluster_STRICT_DNS, lbEp("api.example.com", 443, corev3.HealthStatus_HEALTHY))
	c := configOf(orig, dns)
	res := run(t, c, "PassthroughCluster", tcpReq)
	up := res.Upstreams[0]
	if up.Type != "ORIGINAL_DST" || up.LB != "CLUSTER_PROVIDED" || len(up.Endpoints) != 1 || up.Endpoints[0].Address != "10.96.0.20:9080" {
		t.Fatalf("passthrough = %+v, want the request's destination", up)
	}
	res = run(t, c, dns.Name, httpReq)
	if ep := res.Upstreams[0].Endpoints; len(ep) != 1 || ep[0].Address != "api.example.com:443" || !traceHas(res, "host names") {
		t.Fatalf("STRICT_DNS = %+v trace %v, want host name endpoint and a note", ep, res.Trace)
	}
}

// Circuit breakers: the DEFAULT-priority thresholds, with Envoy's defaults
// (1024 connections, pending and requests, 3 retries) for unset fields.
func TestUpstreamCircuitBreakers(t *testing.T) {
	cl := staticCluster("cb", clusterv3.Cluster_STATIC, lbEp("10.0.0.1", 80, 0))
	cl.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{
		{Priority: corev3.RoutingPriority_HIGH, MaxConnections: wrapperspb.UInt32(1)},
		{MaxConnections: wrapperspb.UInt32(100), MaxRequests: wrapperspb.UInt32(1000)},
	}}
	got := run(t, configOf(cl), "cb", httpReq).Upstreams[0].CircuitBreakers
	want := &CircuitBreakers{MaxConnections: 100, MaxPendingRequests: 1024, MaxRequests: 1000, MaxRetries: 3}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("circuit breakers = %+v, want %+v", got, want)
	}
}

// Fields weft never sets that change where traffic goes are refused,
// naming the field, rather than guessed at.
func TestUpstreamCannotSimulate(t *testing.T) {
	subset := staticCluster("subset", clusterv3.Cluster_STATIC, lbEp("10.0.0.1", 80, 0))
	subset.LbSubsetConfig = &clusterv3.Cluster_LbSubsetConfig{}
	zone := staticCluster("zone", clusterv3.Cluster_STATIC, lbEp("10.0.0.1", 80, 0))
	zone.CommonLbConfig = &clusterv3.Cluster_CommonLbConfig{LocalityConfigSpecifier: &clusterv3.Cluster_CommonLbConfig_ZoneAwareLbConfig_{}}
	tap := staticCluster("tap", clusterv3.Cluster_STATIC, lbEp("10.0.0.1", 80, 0))
	tap.TransportSocket = &corev3.TransportSocket{Name: "envoy.transport_sockets.tap", ConfigType: &corev3.TransportSocket_TypedConfig{
		TypedConfig: &anypb.Any{TypeUrl: "type.googleapis.com/envoy.extensions.transport_sockets.tap.v3.Tap"}}}
	orig := staticCluster("orig", clusterv3.Cluster_ORIGINAL_DST)
	c := configOf(subset, zone, tap, orig)
	for cluster, field := range map[string]string{
		"subset": "lb_subset_config", "zone": "common_lb_config", "tap": "transport_sockets.tap",
		"orig": "no destination IP",
	} {
		var ce *CannotSimulateError
		err := c.upstream(cluster, &Request{Protocol: HTTP1}, &Result{})
		if !errors.As(err, &ce) || !strings.Contains(ce.Field, field) {
			t.Errorf("%s: err = %v, want CannotSimulateError naming %s", cluster, err, field)
		}
	}
}
