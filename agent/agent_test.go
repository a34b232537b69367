package agent_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretv3 "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/xds"
	"google.golang.org/protobuf/encoding/protojson"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/weftmesh/weft/agent"
	"github.com/weftmesh/weft/agent/bootstrap"
	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/agent/certfiles"
	"github.com/weftmesh/weft/agent/testca"
)

const wait = 15 * time.Second

var pod = bootstrap.Identity{
	PodName: "reviews-v1-abc", Namespace: "prod", IP: "127.0.0.1", ServiceAccount: "bookinfo-reviews",
	Labels: map[string]string{"app": "reviews", "version": "v1"},
}

func writeToken(t *testing.T, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "istio-token")
	if err := os.WriteFile(path, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// start runs the agent until the test ends and waits for Ready.
func start(t *testing.T, opts agent.Options) *agent.Agent {
	t.Helper()
	a, err := agent.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(wait):
			t.Error("Run did not return after cancel")
		}
	})
	select {
	case <-a.Ready():
	case err := <-done:
		t.Fatalf("agent stopped before ready: %v", err)
	case <-time.After(wait):
		t.Fatal("agent not ready")
	}
	return a
}

// fakeADS is a TLS ADS endpoint that requires a mesh client certificate and
// reports who connected: enough to prove a proxyless bootstrap reaches
// weftd with the workload identity.
type fakeADS struct {
	discoveryv3.UnimplementedAggregatedDiscoveryServiceServer
	seen chan [2]string // node id, client certificate URI SAN
}

func (f *fakeADS) StreamAggregatedResources(s discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesServer) error {
	req, err := s.Recv()
	if err != nil {
		return err
	}
	p, _ := peer.FromContext(s.Context())
	var uri string
	if info, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 && len(info.State.PeerCertificates[0].URIs) > 0 {
		uri = info.State.PeerCertificates[0].URIs[0].String()
	}
	select {
	case f.seen <- [2]string{req.GetNode().GetId(), uri}:
	default:
	}
	<-s.Context().Done()
	return nil
}

func serveFakeADS(t *testing.T, ca *testca.CA) (string, *fakeADS) {
	t.Helper()
	serving, err := ca.ServingCertificate(nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	clientCAs := x509.NewCertPool()
	for _, r := range ca.Roots() {
		clientCAs.AddCert(r)
	}
	gs := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{serving}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs,
	})))
	f := &fakeADS{seen: make(chan [2]string, 1)}
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, f)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	return lis.Addr().String(), f
}

// Proxyless end to end without weftd: the agent gets a certificate from a
// CA over TLS, writes files and bootstrap, and grpc-go, started from that
// bootstrap, dials ADS with mutual TLS under the pod's identity. A short
// lifetime then shows a rotation reaching the files.
func TestProxylessBootstrapReachesADSWithWorkloadIdentity(t *testing.T) {
	ca, err := testca.New(testca.Options{TTL: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	caSrv, err := ca.Serve()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(caSrv.Stop)
	adsAddr, ads := serveFakeADS(t, ca)
	out := t.TempDir()
	a := start(t, agent.Options{
		Mode: agent.ModeProxyless, Identity: pod,
		CAAddr: caSrv.Addr(), CARoots: cert.StaticTrustBundle(ca.Root()),
		TokenPath: writeToken(t, pod.SPIFFEID()),
		XDSAddr:   adsAddr, OutputDir: out, FileRefreshInterval: 100 * time.Millisecond, FileHold: 10 * time.Millisecond,
	})

	bs, err := os.ReadFile(a.GRPCBootstrapPath())
	if err != nil {
		t.Fatal(err)
	}
	rb, err := xds.NewXDSResolverWithConfigForTesting(bs)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := grpc.NewClient("xds:///reviews.prod.svc.cluster.local:9080", grpc.WithResolvers(rb), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	cc.Connect()
	select {
	case got := <-ads.seen:
		if got[0] != pod.NodeID() || got[1] != pod.SPIFFEID() {
			t.Errorf("ADS saw node %q with certificate %q, want %q with %q", got[0], got[1], pod.NodeID(), pod.SPIFFEID())
		}
	case <-time.After(wait):
		t.Fatal("grpc-go never reached ADS over mTLS with the agent's bootstrap and files")
	}

	first := a.Certificate()
	deadline := time.Now().Add(wait)
	for a.Certificate().Generation == first.Generation && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	second := a.Certificate()
	if second.Generation == first.Generation {
		t.Fatal("no rotation of a 4s certificate")
	}
	// The files follow once the publish completes.
	for time.Now().Before(deadline) {
		files, err := certfiles.Read(out)
		if err == nil && bytes.Equal(files.Key, second.KeyPEM) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Error("rotated key never reached key.pem")
}

// Envoy mode: the bootstrap validates, SDS serves the current certificate
// and pushes the rotated one (fake clock, in-memory CA).
func TestEnvoyModeServesSDSAndRotates(t *testing.T) {
	fc := clocktesting.NewFakeClock(time.Now().Truncate(time.Second))
	ca, err := testca.New(testca.Options{Clock: fc, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "sds.sock")
	a := start(t, agent.Options{
		Mode: agent.ModeEnvoy, Identity: pod, CAClient: ca, TokenPath: writeToken(t, "tok"),
		XDSAddr: "weftd.istio-system.svc:15012", SDSSocket: sock, EnvoyBootstrapPath: filepath.Join(dir, "envoy-rev.json"),
		Cert: cert.Options{Clock: fc},
	})

	raw, err := os.ReadFile(filepath.Join(dir, "envoy-rev.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatalf("written Envoy bootstrap invalid: %v", err)
	}
	if b.Node.Id != pod.NodeID() {
		t.Errorf("node id %q", b.Node.Id)
	}

	s := sdsStream(t, sock)
	if got := recvSecret(t, s); !bytes.Equal(got, a.Certificate().KeyPEM) {
		t.Fatal("SDS default secret is not the current key")
	}
	first := a.Certificate()
	deadline := time.Now().Add(wait)
	for fc.Waiters() != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	fc.Step(40 * time.Minute) // past 50%+10% of 1h
	got := recvSecret(t, s)
	if cur := a.Certificate(); cur == first || !bytes.Equal(got, cur.KeyPEM) {
		t.Error("SDS did not push the rotated certificate")
	}
}

func sdsStream(t *testing.T, sock string) secretv3.SecretDiscoveryService_StreamSecretsClient {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	s, err := secretv3.NewSecretDiscoveryServiceClient(conn).StreamSecrets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&discoveryv3.DiscoveryRequest{Node: &corev3.Node{Id: pod.NodeID()}, TypeUrl: resource.SecretType, ResourceNames: []string{"default"}}); err != nil {
		t.Fatal(err)
	}
	return s
}

// recvSecret returns the private key of the next "default" push and ACKs it.
func recvSecret(t *testing.T, s secretv3.SecretDiscoveryService_StreamSecretsClient) []byte {
	t.Helper()
	resp, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var sec tlsv3.Secret
	if err := resp.Resources[0].UnmarshalTo(&sec); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&discoveryv3.DiscoveryRequest{TypeUrl: resource.SecretType, ResourceNames: []string{"default"}, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce}); err != nil {
		t.Fatal(err)
	}
	return sec.GetTlsCertificate().GetPrivateKey().GetInlineBytes()
}

func TestOptionsAreChecked(t *testing.T) {
	_, err := agent.New(agent.Options{Mode: "sidecar"})
	if err == nil {
		t.Fatal("empty options accepted")
	}
	for _, want := range []string{"POD_NAME", "token path", "CA address", "CA root bundle", "xDS address", `mode "sidecar"`} {
		if !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
