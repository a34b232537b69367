// Package catest is a mesh CA for tests: a self-signed root laid out as a
// plug-in CA directory (weftd --ca-plugin-dir) and workload certificates
// signed by it, as weft-agent would get them from weftd's CA.
package catest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/weftmesh/weft/ca"
)

// Mesh is one trust domain's CA.
type Mesh struct {
	// Dir is the plug-in CA directory (ca-cert.pem, ca-key.pem,
	// root-cert.pem, cert-chain.pem).
	Dir       string
	Authority *ca.Authority
	Roots     *x509.CertPool
	RootsPEM  []byte
}

// New makes a root for trustDomain and writes its plug-in directory in dir.
func New(dir, trustDomain string) (*Mesh, error) {
	m, err := ca.NewSelfSignedRoot(trustDomain, time.Now(), 24*time.Hour)
	if err != nil {
		return nil, err
	}
	a, err := ca.NewAuthority(ca.AuthorityOptions{TrustDomain: trustDomain}, m)
	if err != nil {
		return nil, err
	}
	mesh := &Mesh{Dir: dir, Authority: a, Roots: x509.NewCertPool(), RootsPEM: m.RootsPEM()}
	mesh.Roots.AddCert(m.Cert)
	return mesh, writePluginDir(dir, m)
}

func writePluginDir(dir string, m *ca.Material) error {
	der, err := x509.MarshalPKCS8PrivateKey(m.Key)
	if err != nil {
		return fmt.Errorf("marshal CA key: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: m.Cert.Raw})
	files := map[string][]byte{
		"ca-cert.pem": certPEM, "cert-chain.pem": certPEM, "root-cert.pem": m.RootsPEM(),
		"ca-key.pem": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return fmt.Errorf("plug-in CA dir: %w", err)
		}
	}
	return nil
}

// Workload issues a certificate for spiffe://TD/ns/NS/sa/SA.
func (m *Mesh) Workload(namespace, serviceAccount string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		return tls.Certificate{}, err
	}
	chain, err := m.Authority.Sign(csr, ca.Identity{Namespace: namespace, ServiceAccount: serviceAccount}, time.Hour)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("sign %s/%s: %w", namespace, serviceAccount, err)
	}
	out := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain[:len(chain)-1] { // the root is the peer's own
		out.Certificate = append(out.Certificate, c.Raw)
	}
	return out, nil
}

// ClientTLS is a client's view of weftd's secure port: its workload
// certificate, the mesh roots, and the name weftd's certificate carries.
func (m *Mesh) ClientTLS(cert *tls.Certificate, serverName string) *tls.Config {
	c := &tls.Config{RootCAs: m.Roots, ServerName: serverName, MinVersion: tls.VersionTLS12}
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
	}
	return c
}
