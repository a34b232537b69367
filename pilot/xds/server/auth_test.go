package server

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/ca"
	"github.com/weftmesh/weft/ca/catest"
	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/internal/leangrpc"
)

// podYAML makes the mesh know the pod "client" (IP 127.0.0.5) as running
// under service account "reviews".
const podYAML = `
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default, labels: {app: client}}
spec: {serviceAccountName: reviews, containers: [{name: app, image: x}]}
status: {podIP: 127.0.0.5, phase: Running}
`

// secureFixture is the xDS server behind weftd's secure-port TLS: weftd's
// certificate from the CA, client certificates verified against its roots.
type secureFixture struct {
	srv  *Server
	reg  *prometheus.Registry
	mesh *catest.Mesh
	addr string
}

func startSecure(t *testing.T, trustDomain string, opts Options) *secureFixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m, err := catest.New(t.TempDir(), trustDomain)
	if err != nil {
		t.Fatal(err)
	}
	authority, err := ca.New(ctx, ca.Options{PluginCertDir: m.Dir, TrustDomain: trustDomain, Namespace: contract.DefaultNamespace,
		Authenticator: ca.StaticTokens{}})
	if err != nil {
		t.Fatal(err)
	}
	opts.Registry = prometheus.NewRegistry()
	srv := New(ctx, opts)
	srv.Update(meshFromYAML(t, "1", reviewsYAML+podYAML))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := leangrpc.NewServer(leangrpc.Options{TLS: authority.MutualTLSConfig(), Codec: Codec()})
	srv.Register(g)
	go g.Serve(srv.Listener(lis))
	t.Cleanup(g.Stop)
	return &secureFixture{srv: srv, reg: opts.Registry.(*prometheus.Registry), mesh: m, addr: lis.Addr().String()}
}

// dial connects as workload ns/sa (no certificate when sa is empty).
func (f *secureFixture) dial(t *testing.T, ns, sa string) discovery.AggregatedDiscoveryServiceClient {
	t.Helper()
	var cert *tls.Certificate
	if sa != "" {
		c, err := f.mesh.Workload(ns, sa)
		if err != nil {
			t.Fatal(err)
		}
		cert = &c
	}
	creds := credentials.NewTLS(f.mesh.ClientTLS(cert, contract.ControlPlaneHost(contract.DefaultNamespace)))
	conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return discovery.NewAggregatedDiscoveryServiceClient(conn)
}

// node is the client pod's node, with metadata as given.
func node(id string, md map[string]any) *core.Node {
	s, _ := structpb.NewStruct(md)
	return &core.Node{Id: id, Metadata: s}
}

// ask opens a SotW stream, sends a listener request and returns the first
// response or the stream's error.
func ask(t *testing.T, c discovery.AggregatedDiscoveryServiceClient, n *core.Node) (*discovery.DiscoveryResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	s, err := c.StreamAggregatedResources(ctx)
	if err != nil {
		return nil, err
	}
	// A refused stream may end before the request is sent (io.EOF); its
	// status comes with Recv either way.
	_ = s.Send(&discovery.DiscoveryRequest{Node: n, TypeUrl: resource.ListenerType, ResourceNames: []string{target}})
	return s.Recv()
}

const clientNode = "sidecar~127.0.0.5~client.default~default.svc.cluster.local"

func grpcMD(extra map[string]any) map[string]any {
	md := map[string]any{"GENERATOR": "grpc", "NAMESPACE": "default"}
	for k, v := range extra {
		md[k] = v
	}
	return md
}

// A stream on the secure port is bound to its certificate: what the node
// claims (node id, NAMESPACE, SERVICE_ACCOUNT, the pod it names) must be
// the certificate's identity, and no certificate means no config.
func TestSecureADSBindsNodeToCertificate(t *testing.T) {
	f := startSecure(t, "cluster.local", Options{})
	tests := []struct {
		name         string
		ns, sa       string // certificate identity; sa "" = no certificate
		nodeID       string
		md           map[string]any
		code         codes.Code
		reason, want string // rejection metric label; text the error must carry
	}{
		{name: "matching identity", ns: "default", sa: "reviews", nodeID: clientNode, md: grpcMD(map[string]any{"SERVICE_ACCOUNT": "reviews"}), code: codes.OK},
		{name: "no client certificate", nodeID: clientNode, md: grpcMD(nil), code: codes.Unauthenticated, want: "client certificate"},
		{name: "other service account claimed", ns: "default", sa: "ratings", nodeID: "sidecar~127.0.0.9~x.default~default.svc.cluster.local",
			md: grpcMD(map[string]any{"SERVICE_ACCOUNT": "reviews"}), code: codes.PermissionDenied, reason: "service_account",
			want: "spiffe://cluster.local/ns/default/sa/ratings"},
		{name: "node id in another namespace", ns: "default", sa: "reviews", nodeID: "sidecar~127.0.0.9~x.shop~shop.svc.cluster.local",
			md: map[string]any{"GENERATOR": "grpc"}, code: codes.PermissionDenied, reason: "namespace", want: "shop"},
		{name: "metadata namespace differs from node id", ns: "default", sa: "reviews", nodeID: clientNode,
			md: map[string]any{"GENERATOR": "grpc", "NAMESPACE": "shop"}, code: codes.PermissionDenied, reason: "namespace"},
		{name: "pod runs as another service account", ns: "default", sa: "ratings", nodeID: clientNode, md: grpcMD(nil),
			code: codes.PermissionDenied, reason: "pod", want: "claims default/(no service account)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ask(t, f.dial(t, tt.ns, tt.sa), node(tt.nodeID, tt.md))
			if got := grpcstatus.Code(err); got != tt.code {
				t.Fatalf("code %v (%v), want %v", got, err, tt.code)
			}
			if tt.code == codes.OK {
				if len(resp.Resources) != 1 {
					t.Fatalf("got %d listeners, want 1", len(resp.Resources))
				}
				return
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %q", err, tt.want)
			}
			if tt.reason != "" && testutil.ToFloat64(f.srv.metrics.identityRejections.WithLabelValues(tt.reason)) < 1 {
				t.Errorf("weft_xds_identity_rejections_total{reason=%q} not counted", tt.reason)
			}
		})
	}
}

// Certificates of another trust domain are refused unless it is an alias.
func TestSecureADSTrustDomainAliases(t *testing.T) {
	n := node("sidecar~127.0.0.9~x.default~default.svc.cluster.local", grpcMD(nil))
	strict := startSecure(t, "old.example", Options{})
	if _, err := ask(t, strict.dial(t, "default", "reviews"), n); grpcstatus.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "trust_domain") {
		t.Fatalf("certificate of trust domain old.example: %v, want PermissionDenied (trust_domain)", err)
	}
	aliased := startSecure(t, "old.example", Options{TrustDomains: []string{"cluster.local", "old.example"}})
	if _, err := ask(t, aliased.dial(t, "default", "reviews"), n); err != nil {
		t.Fatalf("alias old.example: %v", err)
	}
}

// statusOf waits (bounded) until the proxy's status satisfies pred.
func statusOf(t *testing.T, srv *Server, id string, pred func(ProxyStatus) bool) ProxyStatus {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, st := range srv.Status() {
			if st.ID == id && pred(st) {
				return st
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("status of %s never matched: %+v", id, srv.Status())
	return ProxyStatus{}
}

// openStream starts a SotW listener stream and returns it with its first response.
func openStream(t *testing.T, c discovery.AggregatedDiscoveryServiceClient, n *core.Node, names ...string) (discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient, *discovery.DiscoveryResponse) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	s, err := c.StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&discovery.DiscoveryRequest{Node: n, TypeUrl: resource.ListenerType, ResourceNames: names}); err != nil {
		t.Fatal(err)
	}
	return s, recv(t, s)
}

// A node id belongs to the identity that connected it: another identity
// claiming it is refused, and the owner keeps its metadata and its pushes.
func TestSecureADSNodeIDSquattingRefused(t *testing.T) {
	f := startSecure(t, "cluster.local", Options{})
	const id = "sidecar~127.0.0.9~x.default~default.svc.cluster.local" // a pod the mesh does not know
	real, first := openStream(t, f.dial(t, "default", "reviews"), node(id, grpcMD(nil)), target)
	ack := &discovery.DiscoveryRequest{TypeUrl: resource.ListenerType, ResourceNames: []string{target}, VersionInfo: first.VersionInfo, ResponseNonce: first.Nonce}
	if err := real.Send(ack); err != nil {
		t.Fatal(err)
	}
	statusOf(t, f.srv, id, func(st ProxyStatus) bool { return st.Types[resource.ListenerType].Acked == first.VersionInfo })

	_, err := ask(t, f.dial(t, "default", "ratings"), node(id, map[string]any{"NAMESPACE": "default"}))
	if grpcstatus.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "is connected as spiffe://cluster.local/ns/default/sa/reviews") {
		t.Fatalf("squatter: %v, want PermissionDenied naming the holder", err)
	}
	if n := testutil.ToFloat64(f.srv.metrics.identityRejections.WithLabelValues("node_held")); n != 1 {
		t.Errorf("node_held rejections = %v, want 1", n)
	}
	st := statusOf(t, f.srv, id, func(ProxyStatus) bool { return true })
	if st.Kind != "grpc" || st.Streams != 1 || st.Nacks != 0 {
		t.Fatalf("owner's state changed by the squatter: %+v", st)
	}
	// The owner still gets pushes: the service goes, so does its listener.
	f.srv.Update(meshFromYAML(t, "2", podYAML))
	if resp := recv(t, real); resp.VersionInfo == first.VersionInfo || len(resp.Resources) != 0 {
		t.Fatalf("owner's next push: version %q (first %q), %d listeners, want none", resp.VersionInfo, first.VersionInfo, len(resp.Resources))
	}
}

// A later stream of the same identity replaces stale metadata: a proxy
// that restarted as an Envoy sidecar is no longer served as proxyless.
func TestSecureADSSameIdentityReplacesMetadata(t *testing.T) {
	f := startSecure(t, "cluster.local", Options{})
	openStream(t, f.dial(t, "default", "reviews"), node(nodeID, grpcMD(nil)), target)
	statusOf(t, f.srv, nodeID, func(st ProxyStatus) bool { return st.Kind == "grpc" })
	_, resp := openStream(t, f.dial(t, "default", "reviews"), node(nodeID, map[string]any{"NAMESPACE": "default"}))
	st := statusOf(t, f.srv, nodeID, func(st ProxyStatus) bool { return st.Kind == "sidecar" })
	if st.Streams != 2 {
		t.Errorf("streams = %d, want 2", st.Streams)
	}
	if len(resp.Resources) < 2 { // virtualOutbound, virtualInbound, 0.0.0.0_9080 …: a sidecar's listeners
		t.Fatalf("replacement stream got %d listeners, want a sidecar's", len(resp.Resources))
	}
}
