package grpcgen

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
)

// strictMesh has one meshed endpoint under mesh-wide STRICT.
func strictMesh() *mesh.Mesh {
	svc := &mesh.Service{Hostname: "reviews.default.svc.cluster.local", Name: "reviews", Namespace: "default",
		Ports: []mesh.Port{{Number: 9080, Protocol: mesh.ProtocolGRPC}},
		Endpoints: map[uint32][]mesh.Endpoint{9080: {{Address: "10.0.0.2", Port: 9080, Namespace: "default", ServiceAccount: "reviews",
			Healthy: true, Labels: map[string]string{mesh.TLSModeLabel: "istio"}}}}}
	m := &mesh.Mesh{TrustDomain: "cluster.local", Services: []*mesh.Service{svc},
		VirtualHosts: []*mesh.VirtualHost{{Service: svc, Port: svc.Ports[0]}},
		Clusters:     []*mesh.Cluster{{Key: mesh.ClusterKey{Direction: mesh.Outbound, Port: 9080, Host: svc.Hostname}, Service: svc, Port: svc.Ports[0]}},
		PeerAuthn:    mesh.PeerAuthn{Mesh: &mesh.PeerPolicy{Mode: mesh.MTLSStrict}}}
	m.Index()
	return m
}

func TestTLSNeedsCertificateProvider(t *testing.T) {
	server := "xds.istio.io/grpc/lds/inbound/10.0.0.9:9080"
	for _, tt := range []struct {
		providers  []string
		wantTLS    bool
		wantServer bool
	}{
		{providers: []string{"default"}, wantTLS: true, wantServer: true},
		{providers: nil, wantTLS: false, wantServer: false},
	} {
		p := &xds.Proxy{Kind: xds.KindProxyless, Namespace: "default", DNSDomain: "default.svc.cluster.local", IP: "10.0.0.9", CertProviders: tt.providers}
		res, _ := Generate(strictMesh(), p, []string{server, "reviews:9080"})
		c := res[resource.ClusterType]["outbound|9080||reviews.default.svc.cluster.local"].(*clusterv3.Cluster)
		if got := c.GetTransportSocket() != nil; got != tt.wantTLS {
			t.Errorf("providers %v: upstream TLS %v, want %v", tt.providers, got, tt.wantTLS)
		}
		if _, got := res[resource.ListenerType][server]; got != tt.wantServer {
			t.Errorf("providers %v: STRICT server listener present %v, want %v", tt.providers, got, tt.wantServer)
		}
	}
}
