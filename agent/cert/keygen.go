package cert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net/url"
)

// newKeyAndCSR makes a fresh ECDSA P-256 key (one per certificate, so a leaked
// old key is useless after rotation) and a CSR for it. The CSR carries the
// SPIFFE ID when known; the CA ignores it and trusts the token instead, but it
// makes the request self-describing in CA logs.
func newKeyAndCSR(spiffeID string) (*ecdsa.PrivateKey, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("generate ECDSA P-256 key: %w", err)
	}
	tmpl := &x509.CertificateRequest{Subject: pkix.Name{Organization: []string{"weft"}}}
	if spiffeID != "" {
		u, err := url.Parse(spiffeID)
		if err != nil {
			return nil, "", fmt.Errorf("SPIFFE ID %q: %w", spiffeID, err)
		}
		tmpl.URIs = []*url.URL{u}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return nil, "", fmt.Errorf("create CSR: %w", err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// encodeKey returns the key as PEM PKCS#8, which Envoy, grpc-go and
// tls.X509KeyPair all read.
func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
