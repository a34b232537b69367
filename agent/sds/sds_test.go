package sds_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretv3 "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/agent/sds"
	"github.com/weftmesh/weft/agent/testca"
)

const wait = 10 * time.Second

func start(t *testing.T) (*sds.Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sds.sock")
	lis, err := sds.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := sds.New(sds.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(wait):
			t.Error("Serve did not return")
		}
	})
	return srv, path
}

// stream opens an SDS stream as Envoy does, over the Unix socket.
func stream(t *testing.T, path string, names ...string) secretv3.SecretDiscoveryService_StreamSecretsClient {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
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
	send(t, s, &discoveryv3.DiscoveryRequest{
		Node:          &corev3.Node{Id: "sidecar~10.244.1.2~reviews-v1.prod~prod.svc.cluster.local"},
		TypeUrl:       resource.SecretType,
		ResourceNames: names,
	})
	return s
}

func send(t *testing.T, s secretv3.SecretDiscoveryService_StreamSecretsClient, req *discoveryv3.DiscoveryRequest) {
	t.Helper()
	if err := s.Send(req); err != nil {
		t.Fatal(err)
	}
}

// recv reads one response and ACKs it.
func recv(t *testing.T, s secretv3.SecretDiscoveryService_StreamSecretsClient, names ...string) (string, map[string]*tlsv3.Secret) {
	t.Helper()
	resp, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*tlsv3.Secret{}
	for _, a := range resp.Resources {
		var sec tlsv3.Secret
		if err := a.UnmarshalTo(&sec); err != nil {
			t.Fatal(err)
		}
		out[sec.Name] = &sec
	}
	send(t, s, &discoveryv3.DiscoveryRequest{TypeUrl: resource.SecretType, ResourceNames: names, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce})
	return resp.VersionInfo, out
}

func bundles(t *testing.T, n int) []*cert.Bundle {
	t.Helper()
	ca, err := testca.New(testca.Options{Intermediate: true})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*cert.Bundle, n)
	for i := range out {
		if out[i], err = ca.IssueBundle("tok", 0); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func checkSecrets(t *testing.T, got map[string]*tlsv3.Secret, b *cert.Bundle) {
	t.Helper()
	tc := got["default"].GetTlsCertificate()
	if !bytes.Equal(tc.GetCertificateChain().GetInlineBytes(), b.CertChainPEM) || !bytes.Equal(tc.GetPrivateKey().GetInlineBytes(), b.KeyPEM) {
		t.Errorf("secret default does not carry the bundle's chain and key")
	}
	if vc := got["ROOTCA"].GetValidationContext(); !bytes.Equal(vc.GetTrustedCa().GetInlineBytes(), b.RootsPEM) {
		t.Errorf("secret ROOTCA does not carry the bundle's roots")
	}
}

func TestServesDefaultAndROOTCAAndPushesRotation(t *testing.T) {
	srv, path := start(t)
	bs := bundles(t, 2)

	// Envoy may connect before the first certificate: the stream waits.
	s := stream(t, path, "default", "ROOTCA")
	if err := srv.Update(bs[0]); err != nil {
		t.Fatal(err)
	}
	v1, got := recv(t, s, "default", "ROOTCA")
	checkSecrets(t, got, bs[0])

	if err := srv.Update(bs[1]); err != nil {
		t.Fatal(err)
	}
	v2, got := recv(t, s, "default", "ROOTCA")
	if v2 == v1 {
		t.Errorf("rotation pushed the same version %q", v2)
	}
	checkSecrets(t, got, bs[1])
}

// Envoy opens one stream per secret it needs; each must be answered.
func TestServesEachSecretOnItsOwnStream(t *testing.T) {
	srv, path := start(t)
	b := bundles(t, 1)[0]
	if err := srv.Update(b); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"default", "ROOTCA"} {
		_, got := recv(t, stream(t, path, name), name)
		if len(got) != 1 || got[name] == nil {
			t.Errorf("stream for %s got %d secrets", name, len(got))
		}
	}
}

func TestSocketIsOwnerOnlyAndStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sds.sock")
	if err := os.WriteFile(path, nil, 0o644); err != nil { // left by a crashed run
		t.Fatal(err)
	}
	lis, err := sds.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", st.Mode())
	}
}
