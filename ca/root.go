package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"
)

// DefaultRootLifetime is the self-signed root's validity: long, because
// replacing a root is a multi-day rotation, and the key never leaves the Secret.
const DefaultRootLifetime = 10 * 365 * 24 * time.Hour

// NewSelfSignedRoot creates an ECDSA P-256 root for trustDomain, valid from
// now (minus the clock-skew allowance) for lifetime.
func NewSelfSignedRoot(trustDomain string, now time.Time, lifetime time.Duration) (*Material, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate root key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// Istio names its root's organization after the trust domain. Old
		// and new roots share the subject during a rotation; verifiers tell
		// them apart by SubjectKeyId (set by x509 for CAs) and signature.
		Subject:               pkix.Name{Organization: []string{trustDomain}, CommonName: "weft root CA"},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(lifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("self-sign root: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse new root: %w", err)
	}
	return &Material{Cert: cert, Key: key, Roots: []*x509.Certificate{cert}}, nil
}

// randomSerial returns a positive 128-bit serial; RFC 5280 allows up to 20
// octets and random serials make collisions between replicas negligible.
func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("random serial: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil
}
