package ca

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Material is what the CA signs with and what it tells workloads to trust.
type Material struct {
	// Cert signs leaves: the self-signed root, or a plug-in intermediate.
	Cert *x509.Certificate
	// Key is Cert's private key.
	Key crypto.Signer
	// Chain is Cert's issuers, nearest first, ending with the root; empty
	// when Cert is itself the root.
	Chain []*x509.Certificate
	// Roots is the trust bundle: every root a workload must accept. During a
	// root rotation it holds the old and the new root.
	Roots []*x509.Certificate
}

// certPath is what follows a leaf in a response: Cert, its chain, the root.
func (m *Material) certPath() []*x509.Certificate {
	return append([]*x509.Certificate{m.Cert}, m.Chain...)
}

// validate refuses material that would issue unverifiable certificates: a key
// that does not match, a signer that is not a CA, or a path that does not end
// in a trusted root.
func (m *Material) validate(now time.Time) error {
	if m.Cert == nil || m.Key == nil {
		return errors.New("signing certificate and key are required")
	}
	if !publicKeysEqual(m.Cert.PublicKey, m.Key.Public()) {
		return errors.New("signing key does not match the signing certificate")
	}
	if !m.Cert.IsCA || m.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return errors.New("signing certificate is not a CA (basicConstraints CA and keyCertSign required)")
	}
	if now.After(m.Cert.NotAfter) {
		return fmt.Errorf("signing certificate expired at %s", m.Cert.NotAfter.Format(time.RFC3339))
	}
	return m.verifyPath(now)
}

// verifyPath checks Cert chains through Chain to one of Roots.
func (m *Material) verifyPath(now time.Time) error {
	path := m.certPath()
	root := path[len(path)-1]
	if !containsCert(m.Roots, root) {
		return errors.New("the signing certificate's root is not in the trust bundle")
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root)
	for i := 1; i < len(path)-1; i++ {
		inter.AddCert(path[i])
	}
	_, err := m.Cert.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return fmt.Errorf("signing certificate does not chain to its root: %w", err)
	}
	return nil
}

// RootsPEM returns the trust bundle as concatenated PEM.
func (m *Material) RootsPEM() []byte { return concatPEM(m.Roots) }

func containsCert(certs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range certs {
		if bytes.Equal(x.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// publicKeysEqual compares keys through the Equal method every stdlib key has.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
