package ca

import (
	"crypto/x509"
	"errors"
	"slices"
	"testing"
	"time"
)

func newTestAuthority(t testing.TB, clock *fakeClock) *Authority {
	t.Helper()
	root, err := NewSelfSignedRoot(DefaultTrustDomain, clock.now(), DefaultRootLifetime)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAuthority(AuthorityOptions{Clock: clock.now}, root)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRootIsP256TenYears(t *testing.T) {
	now := time.Now()
	m, err := NewSelfSignedRoot(DefaultTrustDomain, now, DefaultRootLifetime)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Cert
	if c.PublicKeyAlgorithm != x509.ECDSA || !c.IsCA || c.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Fatalf("root: alg %v CA %v usage %v", c.PublicKeyAlgorithm, c.IsCA, c.KeyUsage)
	}
	if life := c.NotAfter.Sub(now); life < 9*365*24*time.Hour {
		t.Fatalf("root lives %s", life)
	}
}

// TestLeafShape checks what peers and Envoy rely on: one SPIFFE URI SAN for
// the given identity, mTLS usages, not a CA, backdated NotBefore, default TTL.
func TestLeafShape(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	a := newTestAuthority(t, clock)
	csr, err := ParseCSR(csrPEM(t, ecKey(t), "spiffe://cluster.local/ns/kube-system/sa/admin"))
	if err != nil {
		t.Fatal(err)
	}
	ttl, _ := a.TTL(0)
	chain, err := a.Sign(csr, Identity{Namespace: "shop", ServiceAccount: "cart"}, ttl)
	if err != nil {
		t.Fatal(err)
	}
	leaf := chain[0]
	if len(leaf.URIs) != 1 || leaf.URIs[0].String() != "spiffe://cluster.local/ns/shop/sa/cart" {
		t.Fatalf("URIs %v: the CSR's SAN must be ignored", leaf.URIs)
	}
	if leaf.IsCA || leaf.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
		t.Fatalf("IsCA %v KeyUsage %v", leaf.IsCA, leaf.KeyUsage)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
		t.Fatalf("ExtKeyUsage %v", leaf.ExtKeyUsage)
	}
	// Certificates keep whole seconds.
	if life := leaf.NotAfter.Sub(clock.now()); !leaf.NotBefore.Before(clock.now()) || life > DefaultTTL || life < DefaultTTL-time.Second {
		t.Fatalf("validity %s – %s, now %s", leaf.NotBefore, leaf.NotAfter, clock.now())
	}
	if len(chain) != 2 || !chain[1].Equal(a.Material().Cert) {
		t.Fatalf("chain should be leaf, root; got %d certificates", len(chain))
	}
	id, err := verifySVID(t, chain, a.Material().RootsPEM(), clock.now())
	if err != nil || id.String() != "spiffe://cluster.local/ns/shop/sa/cart" {
		t.Fatalf("verify as X509-SVID: %v %v", id, err)
	}
}

func TestSignRSAKey(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	a := newTestAuthority(t, clock)
	csr, err := ParseCSR(csrPEM(t, rsaKey(t, 2048), ""))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := a.Sign(csr, Identity{Namespace: "a", ServiceAccount: "b"}, time.Hour)
	if err != nil || chain[0].PublicKeyAlgorithm != x509.RSA {
		t.Fatalf("RSA leaf: %v", err)
	}
}

// TestTTL: 0 is the default, above the max is clamped (documented choice),
// negative is refused.
func TestTTL(t *testing.T) {
	a := newTestAuthority(t, &fakeClock{t: time.Now()})
	for _, c := range []struct {
		in, want time.Duration
		err      bool
	}{
		{0, DefaultTTL, false},
		{time.Hour, time.Hour, false},
		{DefaultMaxTTL, DefaultMaxTTL, false},
		{365 * 24 * time.Hour, DefaultMaxTTL, false},
		{-time.Second, 0, true},
	} {
		got, err := a.TTL(c.in)
		if got != c.want || (err != nil) != c.err || (err != nil && !errors.Is(err, ErrInvalidTTL)) {
			t.Errorf("TTL(%s) = %s, %v; want %s, error %v", c.in, got, err, c.want, c.err)
		}
	}
}

// TestLeafNeverOutlivesSigner: a CA certificate near its end caps leaves.
func TestLeafNeverOutlivesSigner(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	root, err := NewSelfSignedRoot(DefaultTrustDomain, clock.now(), 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAuthority(AuthorityOptions{Clock: clock.now}, root)
	if err != nil {
		t.Fatal(err)
	}
	csr, _ := ParseCSR(csrPEM(t, ecKey(t), ""))
	chain, err := a.Sign(csr, Identity{Namespace: "a", ServiceAccount: "b"}, DefaultTTL)
	if err != nil || chain[0].NotAfter.After(root.Cert.NotAfter) {
		t.Fatalf("leaf NotAfter %s after root's %s (%v)", chain[0].NotAfter, root.Cert.NotAfter, err)
	}
}

// BenchmarkSignCSR measures one CreateCertificate's CA work for an ECDSA
// P-256 workload key: parse and check the CSR, then sign.
func BenchmarkSignCSR(b *testing.B) {
	a := newTestAuthority(b, &fakeClock{t: time.Now()})
	pemBytes := csrPEM(b, ecKey(b), "")
	id := Identity{Namespace: "default", ServiceAccount: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		csr, err := ParseCSR(pemBytes)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Sign(csr, id, DefaultTTL); err != nil {
			b.Fatal(err)
		}
	}
}
