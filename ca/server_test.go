package ca

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/weftmesh/weft/ca/pb"
)

// newFileModeServer is a CA as weftd runs it without Kubernetes: a root in
// memory and a static token table.
func newFileModeServer(t *testing.T) *Server {
	t.Helper()
	s, err := New(context.Background(), Options{
		Authenticator: StaticTokens{
			"token-a": {Namespace: "shop", ServiceAccount: "a"},
			"token-b": {Namespace: "shop", ServiceAccount: "b"},
		},
		ServingDNSNames: []string{"ca.example"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCallerIdentityWins: a caller authenticated as a asking (in its CSR)
// for b's identity gets a certificate for a. Chosen over refusing because
// Istio does the same (the CSR's SANs are advisory) and because it cannot
// leak b's identity either way.
func TestCallerIdentityWins(t *testing.T) {
	s := newFileModeServer(t)
	client := serveTLS(t, s, "istiod.istio-system.svc")
	req := &pb.IstioCertificateRequest{Csr: string(csrPEM(t, ecKey(t), "spiffe://cluster.local/ns/shop/sa/b"))}
	resp, err := client.CreateCertificate(withToken(context.Background(), "token-a"), req)
	if err != nil {
		t.Fatal(err)
	}
	chain := parseChain(t, resp.CertChain)
	id, err := verifySVID(t, chain, s.RootBundle(), time.Now())
	if err != nil || id.String() != "spiffe://cluster.local/ns/shop/sa/a" {
		t.Fatalf("got %v (%v), want ns/shop/sa/a", id, err)
	}
	if last := chain[len(chain)-1]; !last.Equal(s.Authority().Material().Roots[0]) {
		t.Fatal("cert_chain must end with the root")
	}
}

func TestCreateCertificateErrors(t *testing.T) {
	s := newFileModeServer(t)
	client := serveTLS(t, s, "weftd.istio-system.svc")
	good := string(csrPEM(t, ecKey(t), ""))
	ctx := context.Background()
	for _, c := range []struct {
		name string
		ctx  context.Context
		req  *pb.IstioCertificateRequest
		want codes.Code
	}{
		{"no token", ctx, &pb.IstioCertificateRequest{Csr: good}, codes.Unauthenticated},
		{"unknown token", withToken(ctx, "nope"), &pb.IstioCertificateRequest{Csr: good}, codes.Unauthenticated},
		{"garbage csr", withToken(ctx, "token-a"), &pb.IstioCertificateRequest{Csr: "garbage"}, codes.InvalidArgument},
		{"negative ttl", withToken(ctx, "token-a"), &pb.IstioCertificateRequest{Csr: good, ValidityDuration: -1}, codes.InvalidArgument},
		{"min int64 ttl", withToken(ctx, "token-a"), &pb.IstioCertificateRequest{Csr: good, ValidityDuration: math.MinInt64}, codes.InvalidArgument},
		{"max int64 ttl (clamped)", withToken(ctx, "token-a"), &pb.IstioCertificateRequest{Csr: good, ValidityDuration: math.MaxInt64}, codes.OK},
	} {
		_, err := client.CreateCertificate(c.ctx, c.req)
		if status.Code(err) != c.want {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
	}
}

// TestRequestedTTLClamped: a year is clamped to the 90-day maximum.
func TestRequestedTTLClamped(t *testing.T) {
	s := newFileModeServer(t)
	client := serveTLS(t, s, "ca.example")
	req := &pb.IstioCertificateRequest{Csr: string(csrPEM(t, ecKey(t), "")), ValidityDuration: 365 * 24 * 3600}
	resp, err := client.CreateCertificate(withToken(context.Background(), "token-b"), req)
	if err != nil {
		t.Fatal(err)
	}
	leaf := parseChain(t, resp.CertChain)[0]
	if life := time.Until(leaf.NotAfter); life > DefaultMaxTTL || life < DefaultMaxTTL-time.Minute {
		t.Fatalf("leaf lives %s, want about %s", life, DefaultMaxTTL)
	}
}

// TestServingCertificate: SANs for weftd and istiod in weftd's namespace,
// extra names, signed by the CA (serveTLS already verified a handshake).
func TestServingCertificate(t *testing.T) {
	s := newFileModeServer(t)
	leaf := s.ServingCertificate().Leaf
	for _, name := range []string{"weftd.istio-system.svc", "istiod.istio-system.svc", "ca.example"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("serving certificate: %v", err)
		}
	}
}

func TestOptionsAuthenticatorRules(t *testing.T) {
	if _, err := New(context.Background(), Options{}); err == nil {
		t.Fatal("file mode without an authenticator must be refused")
	}
}

// brokenAuthn fails the way TokenReview does when the API server is down.
type brokenAuthn struct{}

func (brokenAuthn) Authenticate(context.Context) (Identity, error) {
	return Identity{}, errors.New("token review: connection refused")
}

// TestAuthenticatorOutageIsUnavailable: not the caller's fault, so clients
// retry instead of treating their token as bad.
func TestAuthenticatorOutageIsUnavailable(t *testing.T) {
	s, err := New(context.Background(), Options{Authenticator: brokenAuthn{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateCertificate(context.Background(), &pb.IstioCertificateRequest{Csr: string(csrPEM(t, ecKey(t), ""))})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("got %v, want Unavailable", err)
	}
}

// BenchmarkCreateCertificateGRPC is one whole request as an agent makes it:
// gRPC over TLS on loopback, token check (static), CSR parse, sign, reply.
// Run with -cpu to see how far the two cores go.
func BenchmarkCreateCertificateGRPC(b *testing.B) {
	s, err := New(context.Background(), Options{Authenticator: StaticTokens{"t": {Namespace: "default", ServiceAccount: "bench"}}})
	if err != nil {
		b.Fatal(err)
	}
	client := serveTLS(b, s, "istiod.istio-system.svc")
	req := &pb.IstioCertificateRequest{Csr: string(csrPEM(b, ecKey(b), ""))}
	ctx := withToken(context.Background(), "t")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.CreateCertificate(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
