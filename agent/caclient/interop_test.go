package caclient_test

import (
	"context"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/weftmesh/weft/agent/caclient"
	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/ca"
)

// weftd's own CA (file mode: in-memory root, static tokens) behind TLS on
// loopback, the way weftd serves it on 15012.
func weftCA(t *testing.T) (addr string, roots cert.TrustBundleFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := ca.New(ctx, ca.Options{
		Authenticator: ca.StaticTokens{"reviews-token": {Namespace: "prod", ServiceAccount: "bookinfo-reviews"}},
		ServingIPs:    []net.IP{net.IPv4(127, 0, 0, 1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(srv.GRPCServerOptions()...)
	srv.Register(gs)
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	return lis.Addr().String(), func() ([]*x509.Certificate, error) { return cert.ParsePEMCertificates(srv.RootBundle()) }
}

func TestAgainstWeftdCA(t *testing.T) {
	addr, roots := weftCA(t)
	c := newClient(t, caclient.Options{Addr: addr, Roots: roots})
	token := filepath.Join(t.TempDir(), "istio-token")
	if err := os.WriteFile(token, []byte("reviews-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mgr, err := cert.NewManager(cert.Options{Client: c, TokenPath: token, TrustBundle: roots})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	go func() { _ = mgr.Run(ctx) }()
	b, err := mgr.WaitReady(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Leaf.URIs[0].String(); got != "spiffe://cluster.local/ns/prod/sa/bookinfo-reviews" {
		t.Errorf("identity %q, want the token's service account", got)
	}

	_, err = c.CreateCertificate(ctx, &cert.SignRequest{CSRPEM: csr(t), Token: "someone-else"})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("unknown token: %v, want Unauthenticated", err)
	}
}
