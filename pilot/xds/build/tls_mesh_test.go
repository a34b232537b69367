package build

import (
	"slices"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// commonOf unpacks a transport socket's upstream or downstream context.
func commonOf(t *testing.T, ts *corev3.TransportSocket) *tlsv3.CommonTlsContext {
	t.Helper()
	up, down := &tlsv3.UpstreamTlsContext{}, &tlsv3.DownstreamTlsContext{}
	if ts.GetTypedConfig().UnmarshalTo(up) == nil {
		return up.GetCommonTlsContext()
	}
	if err := ts.GetTypedConfig().UnmarshalTo(down); err != nil {
		t.Fatal(err)
	}
	return down.GetCommonTlsContext()
}

// Istio mTLS as istiod sends it (checked against pilot-discovery): clients
// offer istio-peer-exchange and istio (h2 too when the cluster always
// speaks HTTP/2), TLS 1.2-1.3; servers offer HTTP versions (and
// istio-peer-exchange on TCP chains) with istiod's cipher suites.
// grpc-go gets neither (its xDS client ignores them).
func TestMeshTLSParameters(t *testing.T) {
	grpcPort := mesh.Port{Name: "grpc", Number: 8080, Protocol: mesh.ProtocolGRPC}
	h2 := testCluster(mesh.ResolutionEDS)
	h2.Port = grpcPort
	followsClient := testCluster(mesh.ResolutionEDS)
	followsClient.Port, followsClient.Policy.ConnectionPool = grpcPort, &mesh.ConnectionPool{UseClientProtocol: true}
	for _, tt := range []struct {
		name     string
		ts       *corev3.TransportSocket
		alpn     []string
		ciphers  bool
		noParams bool
	}{
		{"HTTP/1.1 cluster", UpstreamTLS(testCluster(mesh.ResolutionEDS), nil, Options{}), []string{"istio-peer-exchange", "istio"}, false, false},
		{"gRPC cluster", UpstreamTLS(h2, nil, Options{}), []string{"istio-peer-exchange", "istio", "h2"}, false, false},
		{"cluster following the client's protocol", UpstreamTLS(followsClient, nil, Options{}), []string{"istio-peer-exchange", "istio"}, false, false},
		{"HTTP inbound chain", DownstreamTLS(Options{}), []string{"h2", "http/1.1"}, true, false},
		{"TCP inbound chain", DownstreamTLSForTCP(Options{}), []string{"istio-peer-exchange", "h2", "http/1.1"}, true, false},
		{"proxyless client", UpstreamTLS(h2, nil, Options{Proxyless: true}), nil, false, true},
		{"proxyless server", DownstreamTLS(Options{Proxyless: true}), nil, false, true},
	} {
		c := commonOf(t, tt.ts)
		if !slices.Equal(c.GetAlpnProtocols(), tt.alpn) {
			t.Errorf("%s: ALPN %q, want %q", tt.name, c.GetAlpnProtocols(), tt.alpn)
		}
		p := c.GetTlsParams()
		switch {
		case tt.noParams && p != nil:
			t.Errorf("%s: tls_params %v, want none", tt.name, p)
		case !tt.noParams && (p.GetTlsMinimumProtocolVersion() != tlsv3.TlsParameters_TLSv1_2 || p.GetTlsMaximumProtocolVersion() != tlsv3.TlsParameters_TLSv1_3):
			t.Errorf("%s: tls_params %v, want TLS 1.2 to 1.3", tt.name, p)
		case !tt.noParams && (len(p.GetCipherSuites()) > 0) != tt.ciphers:
			t.Errorf("%s: cipher suites %q, want istiod's server ones: %v", tt.name, p.GetCipherSuites(), tt.ciphers)
		}
	}
}
