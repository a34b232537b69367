package envoystandin

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/url"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/weftmesh/weft/agent/bootstrap"
)

func agentBootstrap(t *testing.T, opts bootstrap.EnvoyOptions) *bootstrapv3.Bootstrap {
	t.Helper()
	opts.Identity = testIdentity
	if opts.SDSSocket == "" {
		opts.SDSSocket = "/var/run/weft/sds.sock"
	}
	b, err := bootstrap.EnvoyProto(opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t *testing.T, b *bootstrapv3.Bootstrap) (*Bootstrap, error) {
	t.Helper()
	data, err := protojson.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return ParseBootstrap(data)
}

// TestParseAgentBootstrap reads back what weft-agent renders for a weftd
// reached by name.
func TestParseAgentBootstrap(t *testing.T) {
	b, err := parse(t, agentBootstrap(t, bootstrap.EnvoyOptions{XDSAddr: "weftd.weft-system.svc:15012"}))
	if err != nil {
		t.Fatal(err)
	}
	if b.Node.GetId() != testIdentity.NodeID() || b.Node.GetCluster() != "reviews.default" || !b.SetNodeOnFirstMessageOnly {
		t.Errorf("node = %v, node once %v", b.Node, b.SetNodeOnFirstMessageOnly)
	}
	ads := b.ADS
	if ads.Cluster != bootstrap.XDSCluster || ads.Host != "weftd.weft-system.svc" || ads.Port != 15012 || !ads.ResolveByDNS || ads.ConnectTimeout <= 0 {
		t.Errorf("ADS upstream = %+v", ads)
	}
	tl := ads.TLS
	if tl == nil {
		t.Fatal("no TLS")
	}
	wantSecret := func(got SecretSource, name string) {
		if got.Name != name || got.Cluster != bootstrap.SDSCluster || got.Pipe != "/var/run/weft/sds.sock" {
			t.Errorf("secret source = %+v, want %s from %s", got, name, bootstrap.SDSCluster)
		}
	}
	wantSecret(tl.Certificate, bootstrap.SecretWorkload)
	wantSecret(tl.Validation, bootstrap.SecretRootCA)
	if tl.SNI != "weftd.weft-system.svc" || len(tl.ALPN) != 1 || tl.ALPN[0] != "h2" {
		t.Errorf("SNI %q ALPN %v", tl.SNI, tl.ALPN)
	}
	if tl.MinVersion != tls.VersionTLS12 || tl.MaxVersion != tls.VersionTLS12 {
		t.Errorf("TLS versions %x-%x, want Envoy's upstream default 1.2-1.2", tl.MinVersion, tl.MaxVersion)
	}
	if len(tl.SANs) != 1 || tl.SANs[0].Type != tlsv3.SubjectAltNameMatcher_DNS || tl.SANs[0].Matcher.GetExact() != "weftd.weft-system.svc" {
		t.Errorf("SAN matchers = %v", tl.SANs)
	}
}

func TestParsePlaintextBootstrap(t *testing.T) {
	b, err := parse(t, agentBootstrap(t, bootstrap.EnvoyOptions{XDSAddr: "127.0.0.1:15010", XDSPlaintext: true}))
	if err != nil {
		t.Fatal(err)
	}
	if b.ADS.TLS != nil || b.ADS.ResolveByDNS || b.ADS.Addr() != "127.0.0.1:15010" {
		t.Errorf("ADS upstream = %+v", b.ADS)
	}
}

// TestParseBootstrapRefuses: what Envoy would need and the bootstrap lacks
// is an error naming it.
func TestParseBootstrapRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*bootstrapv3.Bootstrap)
		want   string
	}{
		{"no ADS config", func(b *bootstrapv3.Bootstrap) { b.DynamicResources.AdsConfig = nil }, "ads_config is missing"},
		{"LDS not over ADS", func(b *bootstrapv3.Bootstrap) { b.DynamicResources.LdsConfig = nil }, "lds_config does not use ADS"},
		{"delta ADS", func(b *bootstrapv3.Bootstrap) {
			b.DynamicResources.AdsConfig.ApiType = corev3.ApiConfigSource_DELTA_GRPC
		}, "state-of-the-world"},
		{"no node id", func(b *bootstrapv3.Bootstrap) { b.Node.Id = "" }, "node.id"},
		{"ADS cluster missing", func(b *bootstrapv3.Bootstrap) {
			b.StaticResources.Clusters = b.StaticResources.Clusters[1:]
		}, `no static cluster "xds-grpc"`},
		{"SDS cluster missing", func(b *bootstrapv3.Bootstrap) {
			b.StaticResources.Clusters = b.StaticResources.Clusters[:1]
		}, `no static cluster "sds-grpc"`},
		{"SDS cluster without a pipe", func(b *bootstrapv3.Bootstrap) {
			b.StaticResources.Clusters[1].LoadAssignment = b.StaticResources.Clusters[0].LoadAssignment
		}, "no pipe"},
		{"ADS cluster without a port", func(b *bootstrapv3.Bootstrap) {
			b.StaticResources.Clusters[0].LoadAssignment.Endpoints = nil
		}, "no endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := agentBootstrap(t, bootstrap.EnvoyOptions{XDSAddr: "127.0.0.1:15012", XDSServerName: serverName})
			tc.mutate(b)
			_, err := parse(t, b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// TestSANMatching covers the matcher forms Envoy applies to a server
// certificate.
func TestSANMatching(t *testing.T) {
	cert := &x509.Certificate{
		DNSNames:    []string{"*.weft-system.svc", "weftd.example"},
		IPAddresses: []net.IP{net.ParseIP("10.0.0.7")},
		URIs:        []*url.URL{{Scheme: "spiffe", Host: "cluster.local", Path: "/ns/weft-system/sa/weftd"}},
	}
	exact := func(s string) *matcherv3.StringMatcher {
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s}}
	}
	for _, tc := range []struct {
		m    SANMatcher
		want bool
	}{
		{SANMatcher{tlsv3.SubjectAltNameMatcher_DNS, exact("weftd.weft-system.svc")}, true},
		{SANMatcher{tlsv3.SubjectAltNameMatcher_DNS, exact("a.b.weft-system.svc")}, false},
		{SANMatcher{tlsv3.SubjectAltNameMatcher_DNS, exact("weftd.example")}, true},
		{SANMatcher{tlsv3.SubjectAltNameMatcher_DNS, exact("10.0.0.7")}, false},
		{SANMatcher{tlsv3.SubjectAltNameMatcher_IP_ADDRESS, exact("10.0.0.7")}, true},
		{SANMatcher{tlsv3.SubjectAltNameMatcher_IP_ADDRESS, exact("weftd.example")}, false},
		{SANMatcher{tlsv3.SubjectAltNameMatcher_URI, exact("spiffe://cluster.local/ns/weft-system/sa/weftd")}, true},
		{SANMatcher{tlsv3.SubjectAltNameMatcher_URI, &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: "spiffe://cluster.local/"}}}, true},
		{SANMatcher{Matcher: exact("10.0.0.7")}, true},
		{SANMatcher{Matcher: exact("other.example")}, false},
	} {
		if got := tc.m.matches(cert); got != tc.want {
			t.Errorf("%v %v matches = %v, want %v", tc.m.Type, tc.m.Matcher, got, tc.want)
		}
	}
}
