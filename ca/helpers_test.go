package ca

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/spiffe/go-spiffe/v2/bundle/x509bundle"
	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"

	"github.com/weftmesh/weft/ca/pb"
	"github.com/weftmesh/weft/internal/leangrpc"
)

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// csrPEM makes a CSR for key that asks for the SPIFFE ID uri (any identity
// a malicious caller likes).
func csrPEM(t testing.TB, key crypto.Signer, uri string) []byte {
	t.Helper()
	tmpl := &x509.CertificateRequest{}
	if uri != "" {
		u, err := url.Parse(uri)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = []*url.URL{u}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

func rsaKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// parseChain decodes a CreateCertificate response.
func parseChain(t testing.TB, pems []string) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for i, p := range pems {
		certs, err := parseCertsPEM([]byte(p))
		if err != nil || len(certs) != 1 {
			t.Fatalf("cert_chain[%d]: %v (%d certs)", i, err, len(certs))
		}
		out = append(out, certs[0])
	}
	return out
}

// verifySVID checks chain as a peer would: go-spiffe's X.509-SVID rules
// against bundlePEM, at time at. It returns the SPIFFE ID.
func verifySVID(t testing.TB, chain []*x509.Certificate, bundlePEM []byte, at time.Time) (spiffeid.ID, error) {
	t.Helper()
	td := spiffeid.RequireTrustDomainFromString(DefaultTrustDomain)
	b, err := x509bundle.Parse(td, bundlePEM)
	if err != nil {
		t.Fatalf("parse bundle: %v", err)
	}
	// Peers get the chain without the root: that is what a TLS handshake sends.
	id, _, err := x509svid.Verify(chain[:len(chain)-1], b, x509svid.WithTime(at))
	return id, err
}

// serveTLS serves s on a loopback port with its TLS config, on weftd's
// transport (internal/leangrpc, as weftd's secure port serves it), and
// returns a client that verifies the server against the CA's own root
// bundle, as istio-agent does, for the name serverName.
func serveTLS(t testing.TB, s *Server, serverName string) pb.IstioCertificateServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := leangrpc.NewServer(leangrpc.Options{TLS: s.MutualTLSConfig()})
	s.Register(g)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.RootBundle()) {
		t.Fatal("root bundle has no certificate")
	}
	creds := credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: serverName})
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pb.NewIstioCertificateServiceClient(conn)
}

func withToken(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// fakeClock is a settable clock for walking through TTLs and rotations.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
