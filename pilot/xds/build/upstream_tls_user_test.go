package build

import (
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// userCluster builds a cluster of an external host under t, for a sidecar
// unless proxyless.
func userCluster(t *testing.T, tls *mesh.ClusterTLS, port mesh.Port, proxyless bool) (*clusterv3.Cluster, Degradations) {
	t.Helper()
	c := testCluster(mesh.ResolutionEDS, mesh.Endpoint{Address: "203.0.113.1", Port: port.Number, Healthy: true})
	c.Service.External, c.Port, c.Policy.TLS = true, port, tls
	var deg Degradations
	cl := Cluster(c, Options{Mesh: &mesh.Mesh{TrustDomain: "cluster.local"}, Proxyless: proxyless}, &deg)
	if err := cl.ValidateAll(); err != nil {
		t.Fatalf("invalid cluster: %v", err)
	}
	return cl, deg
}

func upstreamContext(t *testing.T, cl *clusterv3.Cluster) *tlsv3.UpstreamTlsContext {
	t.Helper()
	ctx := &tlsv3.UpstreamTlsContext{}
	if err := cl.GetTransportSocket().GetTypedConfig().UnmarshalTo(ctx); err != nil {
		t.Fatalf("transport socket: %v", err)
	}
	return ctx
}

func upstreamHTTP(t *testing.T, cl *clusterv3.Cluster) *httpv3.HttpProtocolOptions {
	t.Helper()
	o := &httpv3.HttpProtocolOptions{}
	a := cl.GetTypedExtensionProtocolOptions()[httpProtocolOptionsKey]
	if a == nil {
		return nil
	}
	if err := a.UnmarshalTo(o); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestUserTLSAutoSNIAndSAN(t *testing.T) {
	for _, tt := range []struct {
		name             string
		tls              mesh.ClusterTLS
		autoSNI, autoSAN bool
	}{
		{"nothing set: both from the request's host", mesh.ClusterTLS{Mode: mesh.TLSSimple}, true, true},
		{"sans set: auto SNI only", mesh.ClusterTLS{Mode: mesh.TLSSimple, SANs: []string{"a.example"}}, true, false},
		{"sni set: neither (SAN from the rule only)", mesh.ClusterTLS{Mode: mesh.TLSSimple, SNI: "a.example"}, false, false},
		{"insecureSkipVerify: auto SNI, no SAN check", mesh.ClusterTLS{Mode: mesh.TLSSimple, InsecureSkipVerify: true}, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cl, _ := userCluster(t, &tt.tls, web, false)
			o := upstreamHTTP(t, cl).GetUpstreamHttpProtocolOptions()
			if o.GetAutoSni() != tt.autoSNI || o.GetAutoSanValidation() != tt.autoSAN {
				t.Errorf("auto_sni %v auto_san_validation %v, want %v %v", o.GetAutoSni(), o.GetAutoSanValidation(), tt.autoSNI, tt.autoSAN)
			}
			if got := upstreamContext(t, cl).GetSni(); got != tt.tls.SNI {
				t.Errorf("sni %q, want %q", got, tt.tls.SNI)
			}
		})
	}
}

// Auto SNI joins the HTTP/2 options of a gRPC port rather than replacing
// them, and an h2 cluster advertises h2 by ALPN, as istiod.
func TestUserTLSKeepsHTTP2Options(t *testing.T) {
	grpc := mesh.Port{Name: "grpc", Number: 8080, Protocol: mesh.ProtocolGRPC}
	cl, _ := userCluster(t, &mesh.ClusterTLS{Mode: mesh.TLSSimple}, grpc, false)
	o := upstreamHTTP(t, cl)
	if o.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil || !o.GetUpstreamHttpProtocolOptions().GetAutoSni() {
		t.Errorf("HTTP options %v: want HTTP/2 and auto_sni", o)
	}
	if alpn := upstreamContext(t, cl).GetCommonTlsContext().GetAlpnProtocols(); len(alpn) != 1 || alpn[0] != "h2" {
		t.Errorf("ALPN %v, want [h2]", alpn)
	}
}

func TestUserTLSValidation(t *testing.T) {
	cl, _ := userCluster(t, &mesh.ClusterTLS{Mode: mesh.TLSMutual, ClientCertificate: "/c.pem", PrivateKey: "/k.pem",
		CACertificates: "/ca.pem", CACRL: "/crl.pem", SANs: []string{"bank.example"}}, web, false)
	common := upstreamContext(t, cl).GetCommonTlsContext()
	if sds := common.GetTlsCertificateSdsSecretConfigs(); len(sds) != 1 || sds[0].GetName() != "file-cert:/c.pem~/k.pem" {
		t.Errorf("client certificate %v, want file-cert:/c.pem~/k.pem", sds)
	}
	combined := common.GetCombinedValidationContext()
	if combined.GetValidationContextSdsSecretConfig().GetName() != "file-root:/ca.pem" ||
		combined.GetDefaultValidationContext().GetCrl().GetFilename() != "/crl.pem" {
		t.Errorf("validation %v: want file-root:/ca.pem and the CRL file", combined)
	}
	if v := common.GetTlsParams(); v.GetTlsMinimumProtocolVersion() != tlsv3.TlsParameters_TLSv1_2 || v.GetTlsMaximumProtocolVersion() != tlsv3.TlsParameters_TLSv1_3 {
		t.Errorf("TLS params %v, want 1.2 to 1.3 as istiod", v)
	}

	cl, _ = userCluster(t, &mesh.ClusterTLS{Mode: mesh.TLSSimple, CACertificates: "/ca.pem", InsecureSkipVerify: true}, web, false)
	if vc := upstreamContext(t, cl).GetCommonTlsContext().GetValidationContext(); vc == nil || vc.GetTrustedCa() != nil {
		t.Errorf("insecureSkipVerify: validation %v, want an empty validation context", vc)
	}
}

// What istiod builds no TLS for: a credential in a rule without a
// workloadSelector (sidecars), MUTUAL without a key pair, and proxyless
// clients, which are told by a degradation.
func TestUserTLSNotOriginated(t *testing.T) {
	for _, tt := range []struct {
		name      string
		tls       mesh.ClusterTLS
		proxyless bool
	}{
		{"credential without selector", mesh.ClusterTLS{Mode: mesh.TLSSimple, CredentialName: "client"}, false},
		{"mutual without key", mesh.ClusterTLS{Mode: mesh.TLSMutual, ClientCertificate: "/c.pem"}, false},
		{"proxyless", mesh.ClusterTLS{Mode: mesh.TLSSimple}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cl, deg := userCluster(t, &tt.tls, web, tt.proxyless)
			if cl.TransportSocket != nil || len(cl.TransportSocketMatches) > 0 || upstreamHTTP(t, cl).GetUpstreamHttpProtocolOptions() != nil {
				t.Errorf("cluster has TLS: %v", cl)
			}
			if tt.proxyless != (len(deg) == 1 && strings.Contains(deg[0], "without TLS")) {
				t.Errorf("degradations %v", deg)
			}
		})
	}
}

func TestIstioSNI(t *testing.T) {
	c := testCluster(mesh.ResolutionEDS)
	c.Key.Subset = "v2"
	if got := IstioSNI(c); got != "outbound_.8080_.v2_.cart.shop.svc.cluster.local" {
		t.Errorf("subset SNI %q", got)
	}
	c.Policy.TLS = &mesh.ClusterTLS{Mode: mesh.TLSIstioMutual, SNI: "cart.example"}
	if got := IstioSNI(c); got != "cart.example" {
		t.Errorf("ISTIO_MUTUAL sni override: %q", got)
	}
}
