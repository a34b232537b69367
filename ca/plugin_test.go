package ca

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftmesh/weft/ca/pb"
)

// newIntermediate signs an intermediate CA under root, as an operator's
// offline root would for a cluster.
func newIntermediate(t *testing.T, root *Material) *Material {
	t.Helper()
	key := ecKey(t)
	serial, _ := randomSerial()
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "cluster intermediate"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(5 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.Cert, key.Public(), root.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &Material{Cert: cert, Key: key, Chain: []*x509.Certificate{root.Cert}, Roots: root.Roots}
}

// writeCacerts lays m out as Istio's cacerts: cert-chain.pem is the
// intermediate then the root, as Istio's tooling writes it.
func writeCacerts(t *testing.T, dir string, m *Material) {
	t.Helper()
	keyPEM, err := encodeKeyPEM(m.Key)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		keyCACert: encodeCertPEM(m.Cert.Raw), keyCAKey: keyPEM,
		keyRootCert: concatPEM(m.Roots), keyCertChain: concatPEM(m.certPath()),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name+".tmp"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, name+".tmp"), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPluginIntermediate: with an intermediate plug-in CA, responses are
// leaf, intermediate, root, and verify against the operator's root.
func TestPluginIntermediate(t *testing.T) {
	root, err := NewSelfSignedRoot("corp", time.Now(), DefaultRootLifetime)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeCacerts(t, dir, newIntermediate(t, root))
	s, err := New(context.Background(), Options{PluginCertDir: dir,
		Authenticator: StaticTokens{"t": {Namespace: "ns", ServiceAccount: "sa"}}})
	if err != nil {
		t.Fatal(err)
	}
	client := serveTLS(t, s, "weftd.istio-system.svc")
	resp, err := client.CreateCertificate(withToken(context.Background(), "t"),
		&pb.IstioCertificateRequest{Csr: string(csrPEM(t, ecKey(t), ""))})
	if err != nil {
		t.Fatal(err)
	}
	chain := parseChain(t, resp.CertChain)
	if len(chain) != 3 || !chain[2].Equal(root.Cert) {
		t.Fatalf("want leaf, intermediate, root; got %d certificates", len(chain))
	}
	if _, err := verifySVID(t, chain, root.RootsPEM(), time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestPluginReload: a new cacerts is picked up by the next sync; a broken
// one is refused and the last good CA keeps signing.
func TestPluginReload(t *testing.T) {
	dir := t.TempDir()
	first, _ := NewSelfSignedRoot("one", time.Now(), DefaultRootLifetime)
	writeCacerts(t, dir, first)
	ctx := context.Background()
	s, err := New(ctx, Options{PluginCertDir: dir, Authenticator: StaticTokens{}})
	if err != nil {
		t.Fatal(err)
	}
	second, _ := NewSelfSignedRoot("two", time.Now(), DefaultRootLifetime)
	writeCacerts(t, dir, second)
	s.Sync(ctx)
	if !s.Authority().Material().Cert.Equal(second.Cert) {
		t.Fatal("new plug-in CA not loaded")
	}
	if err := s.ServingCertificate().Leaf.CheckSignatureFrom(second.Cert); err != nil {
		t.Fatalf("serving certificate not reissued by the new CA: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, keyCAKey), []byte("broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Sync(ctx)
	if !s.Authority().Material().Cert.Equal(second.Cert) {
		t.Fatal("a broken update must keep the last good CA")
	}
}
