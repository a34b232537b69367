package kubeenv

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// AdminUser is the user the admin token authenticates as; it is in
// system:masters, so RBAC allows it everything.
const AdminUser = "kubeenv-admin"

// pki is the credentials an Env generates: a CA and a serving certificate for
// kube-apiserver (so clients verify TLS instead of skipping it), the
// service-account key pair, and a static admin token.
type pki struct {
	dir        string
	caFile     string
	caPEM      []byte
	certFile   string
	keyFile    string
	saKeyFile  string // private, for signing and for the controller-manager
	saPubFile  string // public, for verifying
	tokenFile  string
	adminToken string
}

// newPKI writes fresh credentials into dir. hosts are the IPs the apiserver
// serves on; the certificate also covers localhost and the in-cluster names.
func newPKI(dir string, hosts []net.IP, serviceIP net.IP) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki dir: %w", err)
	}
	p := &pki{
		dir:       dir,
		caFile:    filepath.Join(dir, "ca.crt"),
		certFile:  filepath.Join(dir, "apiserver.crt"),
		keyFile:   filepath.Join(dir, "apiserver.key"),
		saKeyFile: filepath.Join(dir, "sa.key"),
		saPubFile: filepath.Join(dir, "sa.pub"),
		tokenFile: filepath.Join(dir, "tokens.csv"),
	}
	steps := []func() error{
		func() error { return p.writeServing(append(hosts, serviceIP)) },
		p.writeServiceAccountKeys,
		p.writeTokens,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("pki: %w", err)
		}
	}
	return p, nil
}

// writeServing creates a CA and a serving certificate it signs. ECDSA P-256
// keeps generation to milliseconds.
func (p *pki) writeServing(ips []net.IP) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("CA key: %w", err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kubeenv-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, caKey.Public(), caKey)
	if err != nil {
		return fmt.Errorf("CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return fmt.Errorf("CA certificate: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("serving key: %w", err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  append([]net.IP{net.IPv4(127, 0, 0, 1)}, ips...),
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default",
			"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, key.Public(), caKey)
	if err != nil {
		return fmt.Errorf("serving certificate: %w", err)
	}
	p.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	if err := os.WriteFile(p.caFile, p.caPEM, 0o644); err != nil {
		return err
	}
	if err := writePEM(p.certFile, "CERTIFICATE", leafDER); err != nil {
		return err
	}
	return writeECKey(p.keyFile, key)
}

// writeServiceAccountKeys writes the key pair that signs and verifies
// service-account tokens.
func (p *pki) writeServiceAccountKeys() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("service-account key: %w", err)
	}
	if err := writeECKey(p.saKeyFile, key); err != nil {
		return err
	}
	return writePublicKey(p.saPubFile, key.Public())
}

// writeTokens writes a --token-auth-file with one admin in system:masters.
func (p *pki) writeTokens() error {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	p.adminToken = hex.EncodeToString(b)
	line := fmt.Sprintf("%s,%s,%s,system:masters\n", p.adminToken, AdminUser, AdminUser)
	return os.WriteFile(p.tokenFile, []byte(line), 0o600)
}

func writePEM(path, typ string, der []byte) error {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

func writeECKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("marshal key %s: %w", filepath.Base(path), err)
	}
	return writePEM(path, "EC PRIVATE KEY", der)
}

func writePublicKey(path string, pub crypto.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("marshal public key: %w", err)
	}
	return writePEM(path, "PUBLIC KEY", der)
}
