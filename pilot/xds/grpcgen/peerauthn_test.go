package grpcgen

import (
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
)

// peerMesh is strictMesh with the namespace's PeerAuthentication set to
// mode (none when unset) and the endpoint's tlsMode label only if meshed.
func peerMesh(mode mesh.MTLSMode, meshed bool) *mesh.Mesh {
	m := strictMesh()
	m.PeerAuthn = mesh.PeerAuthn{}
	if mode != mesh.MTLSUnset {
		m.PeerAuthn.Namespace = map[string]*mesh.PeerPolicy{"default": {Mode: mode}}
	}
	if !meshed {
		ep := &m.Services[0].Endpoints[9080][0]
		ep.Labels = map[string]string{"app": "reviews"}
	}
	return m
}

// The server side of PeerAuthentication for proxyless servers. grpc-go
// keeps only filter chains matching transport_protocol "" or "raw_buffer",
// so one port is either TLS or plaintext: PERMISSIVE follows istiod
// (mTLS on a workload labelled tlsMode=istio, plaintext otherwise).
func TestServerPeerAuthentication(t *testing.T) {
	const server = "xds.istio.io/grpc/lds/inbound/10.0.0.9:9080"
	meshedLabels := map[string]string{mesh.TLSModeLabel: "istio"}
	tests := []struct {
		name      string
		mode      mesh.MTLSMode
		labels    map[string]string
		providers []string
		want      string // "mtls", "plaintext" or "none" (not serving)
		degraded  string // substring of a degradation, "" for none
	}{
		{"STRICT", mesh.MTLSStrict, nil, []string{"default"}, "mtls", ""},
		{"STRICT without certificates stops serving", mesh.MTLSStrict, nil, nil, "none", "no certificate provider"},
		{"DISABLE", mesh.MTLSDisable, meshedLabels, []string{"default"}, "plaintext", ""},
		{"PERMISSIVE unlabelled", mesh.MTLSPermissive, nil, []string{"default"}, "plaintext", "served as plaintext"},
		{"PERMISSIVE labelled tlsMode=istio", mesh.MTLSPermissive, meshedLabels, []string{"default"}, "mtls", "mTLS only"},
		{"PERMISSIVE labelled without certificates", mesh.MTLSPermissive, meshedLabels, nil, "plaintext", "no certificate provider"},
		{"no policy, labelled: PERMISSIVE by default", mesh.MTLSUnset, meshedLabels, []string{"default"}, "mtls", ""},
		{"no policy, unlabelled", mesh.MTLSUnset, nil, []string{"default"}, "plaintext", ""},
	}
	for _, tt := range tests {
		p := &xds.Proxy{Kind: xds.KindProxyless, Namespace: "default", DNSDomain: "default.svc.cluster.local",
			IP: "10.0.0.9", Labels: tt.labels, CertProviders: tt.providers}
		res, deg := Generate(peerMesh(tt.mode, true), p, []string{server})
		if got := serverTransport(res[resource.ListenerType][server]); got != tt.want {
			t.Errorf("%s: server listener %s, want %s", tt.name, got, tt.want)
		}
		joined := strings.Join(deg, "\n")
		if (tt.degraded == "") != (joined == "") || !strings.Contains(joined, tt.degraded) {
			t.Errorf("%s: degradations %q, want one containing %q", tt.name, deg, tt.degraded)
		}
	}
}

func serverTransport(r any) string {
	l, ok := r.(*listenerv3.Listener)
	switch {
	case !ok:
		return "none"
	case l.GetFilterChains()[0].GetTransportSocket() != nil:
		return "mtls"
	}
	return "plaintext"
}

// The client side is Istio's automatic mTLS decided per cluster, as grpc-go
// has no per-endpoint transport socket: mTLS when every endpoint is meshed
// (tlsMode=istio) and its policy does not DISABLE mTLS.
func TestClientAutoMutualTLS(t *testing.T) {
	tests := []struct {
		mode    mesh.MTLSMode
		meshed  bool
		wantTLS bool
	}{
		{mesh.MTLSStrict, true, true},
		{mesh.MTLSPermissive, true, true}, // a labelled server serves PERMISSIVE as mTLS
		{mesh.MTLSUnset, true, true},
		{mesh.MTLSDisable, true, false},
		{mesh.MTLSPermissive, false, false}, // no mesh proxy: plaintext
		{mesh.MTLSStrict, false, false},     // Istio sends plaintext to unlabelled endpoints too
	}
	for _, tt := range tests {
		p := &xds.Proxy{Kind: xds.KindProxyless, Namespace: "default", DNSDomain: "default.svc.cluster.local",
			IP: "10.0.0.7", CertProviders: []string{"default"}}
		res, _ := Generate(peerMesh(tt.mode, tt.meshed), p, []string{"reviews:9080"})
		c := res[resource.ClusterType]["outbound|9080||reviews.default.svc.cluster.local"].(*clusterv3.Cluster)
		if got := c.GetTransportSocket() != nil; got != tt.wantTLS {
			t.Errorf("endpoint mode %q meshed %v: client TLS %v, want %v", tt.mode, tt.meshed, got, tt.wantTLS)
		}
	}
}

// One endpoint that cannot take mTLS makes the whole cluster plaintext,
// and weftd says so.
func TestClientMixedEndpointsArePlaintext(t *testing.T) {
	m := peerMesh(mesh.MTLSStrict, true)
	svc := m.Services[0]
	svc.Endpoints[9080] = append(svc.Endpoints[9080], mesh.Endpoint{Address: "10.0.0.3", Port: 9080, Namespace: "default", Healthy: true})
	p := &xds.Proxy{Kind: xds.KindProxyless, Namespace: "default", DNSDomain: "default.svc.cluster.local", CertProviders: []string{"default"}}
	res, deg := Generate(m, p, []string{"reviews:9080"})
	if c := res[resource.ClusterType]["outbound|9080||reviews.default.svc.cluster.local"].(*clusterv3.Cluster); c.GetTransportSocket() != nil {
		t.Error("a cluster with an endpoint outside the mesh got mTLS")
	}
	if len(deg) != 1 || !strings.Contains(deg[0], "1 of 2 endpoints take mTLS") {
		t.Errorf("degradations %q, want the plaintext fallback reported", deg)
	}
}
