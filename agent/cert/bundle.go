package cert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Bundle is one generation of workload credentials. It is immutable once
// published: subscribers may keep and read it from any goroutine.
type Bundle struct {
	// Generation counts issued bundles from 1; outputs use it to name versions.
	Generation uint64
	// CertChainPEM is the leaf then any intermediates (the self-signed root
	// is left out: peers must already trust it, sending it only costs bytes).
	CertChainPEM []byte
	// KeyPEM is the PKCS#8 private key of the leaf. Never log it.
	KeyPEM []byte
	// RootsPEM is every trusted root: the CA's root from the response plus the
	// configured bundle, so peers issued under either side of a root rotation
	// are accepted.
	RootsPEM []byte
	// Leaf is the parsed leaf; Roots the parsed RootsPEM.
	Leaf  *x509.Certificate
	Roots []*x509.Certificate
	// Certificate is the chain and key ready for crypto/tls.
	Certificate tls.Certificate
	// Received is when the agent got the certificate: CAs backdate
	// NotBefore for clock skew, so the usable lifetime starts here.
	Received time.Time

	// caRoot is the root at the end of the CA's response (nil if none): it
	// stays trusted whatever the configured bundle says, since the leaf
	// chains to it.
	caRoot *x509.Certificate
}

// withConfiguredRoots returns a copy of b trusting caRoot and configured, or
// nil when that is the set b already trusts.
func (b *Bundle) withConfiguredRoots(configured []*x509.Certificate) *Bundle {
	roots := dedupe(append(respRootList(b.caRoot), configured...))
	if sameCerts(roots, b.Roots) || len(roots) == 0 {
		return nil
	}
	next := *b
	next.Roots = roots
	next.RootsPEM = EncodePEMCertificates(roots)
	return &next
}

func sameCerts(a, b []*x509.Certificate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

// NotBefore and NotAfter bound the leaf's validity.
func (b *Bundle) NotBefore() time.Time { return b.Leaf.NotBefore }

// NotAfter is when the leaf expires.
func (b *Bundle) NotAfter() time.Time { return b.Leaf.NotAfter }

// ValidAt reports whether the leaf is within its validity period at t.
func (b *Bundle) ValidAt(t time.Time) bool {
	return b != nil && !t.Before(b.Leaf.NotBefore) && !t.After(b.Leaf.NotAfter)
}

// LogValue describes the bundle without key material, so a Bundle can be
// passed to slog as is.
func (b *Bundle) LogValue() slog.Value {
	if b == nil {
		return slog.StringValue("<none>")
	}
	uris := make([]string, 0, len(b.Leaf.URIs))
	for _, u := range b.Leaf.URIs {
		uris = append(uris, u.String())
	}
	return slog.GroupValue(
		slog.Uint64("generation", b.Generation),
		slog.Any("uris", uris),
		slog.String("serial", b.Leaf.SerialNumber.Text(16)),
		slog.Time("not_before", b.Leaf.NotBefore),
		slog.Time("not_after", b.Leaf.NotAfter),
		slog.Int("roots", len(b.Roots)),
	)
}

// String is LogValue for fmt users; it never includes the key.
func (b *Bundle) String() string { return b.LogValue().String() }

// NewBundle checks a CA response against the key it was requested for and
// against the trust anchors (the response's own root and the configured
// ones), and assembles the bundle (Generation left 0). now is the time to
// verify at: the manager passes its clock, so tests with a fake clock verify
// against fake time.
func NewBundle(key *ecdsa.PrivateKey, chain []string, configured []*x509.Certificate, now time.Time) (*Bundle, error) {
	certs, err := parseChain(chain)
	if err != nil {
		return nil, err
	}
	leaf := certs[0]
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, errors.New("leaf certificate does not match the requested key")
	}
	intermediates, respRoot := splitChain(certs[1:])
	roots := dedupe(append(respRootList(respRoot), configured...))
	if len(roots) == 0 {
		return nil, errors.New("no trust anchor: the response has no self-signed root and no root bundle is configured")
	}
	if err := verifyLeaf(leaf, intermediates, roots, now); err != nil {
		return nil, err
	}
	b, err := assemble(key, leaf, intermediates, roots)
	if err != nil {
		return nil, err
	}
	b.caRoot, b.Received = respRoot, now
	return b, nil
}

// parseChain parses every PEM certificate in the response; an entry may hold
// more than one block.
func parseChain(chain []string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for i, entry := range chain {
		parsed, err := ParsePEMCertificates([]byte(entry))
		if err != nil {
			return nil, fmt.Errorf("cert_chain[%d]: %w", i, err)
		}
		certs = append(certs, parsed...)
	}
	if len(certs) == 0 {
		return nil, errors.New("empty certificate chain in CA response")
	}
	return certs, nil
}

// splitChain separates the response's trailing self-signed root from the
// intermediates. A last certificate that is not self-signed is an intermediate
// whose root must come from the configured bundle.
func splitChain(rest []*x509.Certificate) ([]*x509.Certificate, *x509.Certificate) {
	if len(rest) == 0 {
		return nil, nil
	}
	last := rest[len(rest)-1]
	if isSelfSigned(last) {
		return rest[:len(rest)-1], last
	}
	return rest, nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}

func respRootList(root *x509.Certificate) []*x509.Certificate {
	if root == nil {
		return nil
	}
	return []*x509.Certificate{root}
}

func dedupe(certs []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range certs {
		dup := false
		for _, o := range out {
			dup = dup || c.Equal(o)
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out
}

func verifyLeaf(leaf *x509.Certificate, intermediates, roots []*x509.Certificate, now time.Time) error {
	opts := x509.VerifyOptions{
		Roots:         x509.NewCertPool(),
		Intermediates: x509.NewCertPool(),
		CurrentTime:   now,
		// Workload certificates serve and dial; do not insist on one usage.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}
	for _, r := range roots {
		opts.Roots.AddCert(r)
	}
	for _, c := range intermediates {
		opts.Intermediates.AddCert(c)
	}
	if _, err := leaf.Verify(opts); err != nil {
		return fmt.Errorf("verify issued certificate: %w", err)
	}
	return nil
}

func assemble(key *ecdsa.PrivateKey, leaf *x509.Certificate, intermediates, roots []*x509.Certificate) (*Bundle, error) {
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	chain := append([]*x509.Certificate{leaf}, intermediates...)
	b := &Bundle{
		CertChainPEM: EncodePEMCertificates(chain),
		KeyPEM:       keyPEM,
		RootsPEM:     EncodePEMCertificates(roots),
		Leaf:         leaf,
		Roots:        roots,
		Certificate:  tls.Certificate{PrivateKey: key, Leaf: leaf},
	}
	for _, c := range chain {
		b.Certificate.Certificate = append(b.Certificate.Certificate, c.Raw)
	}
	return b, nil
}

// ParsePEMCertificates parses every CERTIFICATE block in data and rejects any
// other content, so a truncated or foreign file is an error, not an empty set.
func ParsePEMCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(bytes.TrimSpace(data)) != 0 {
		return nil, errors.New("trailing data after PEM certificates")
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return certs, nil
}

// EncodePEMCertificates is the inverse of ParsePEMCertificates.
func EncodePEMCertificates(certs []*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return buf.Bytes()
}
