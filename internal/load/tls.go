package load

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc/credentials"

	"github.com/weftmesh/weft/ca"
	"github.com/weftmesh/weft/contract"
)

// PKI is the mesh CA of a TLS run: an Istio plug-in CA directory weftd
// signs its serving certificate from, and the same CA issuing each
// simulated proxy its workload certificate, as weftd's CA would.
type PKI struct {
	Dir        string // ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem
	ServerName string // the name proxies verify in weftd's certificate
	authority  *ca.Authority
	roots      *x509.CertPool
}

// Plug-in CA file names (Istio's cacerts layout, as ca.LoadPluginDir reads it).
const (
	pluginCACert    = "ca-cert.pem"
	pluginCAKey     = "ca-key.pem"
	pluginRootCert  = "root-cert.pem"
	pluginCertChain = "cert-chain.pem"
)

// NewPKI writes a plug-in CA into dir: a self-signed root and an
// intermediate that signs, the usual production layout, so client chains
// have the intermediate in them as real workloads' do.
func NewPKI(dir string) (*PKI, error) {
	root, err := ca.NewSelfSignedRoot(ca.DefaultTrustDomain, time.Now(), ca.DefaultRootLifetime)
	if err != nil {
		return nil, fmt.Errorf("load pki: %w", err)
	}
	inter, err := newIntermediate(root)
	if err != nil {
		return nil, fmt.Errorf("load pki: %w", err)
	}
	if err := writePluginDir(dir, inter); err != nil {
		return nil, err
	}
	return LoadPKI(dir)
}

// LoadPKI reads a plug-in CA directory (one NewPKI wrote, or a running
// weftd's) and signs client certificates with it.
func LoadPKI(dir string) (*PKI, error) {
	m, err := ca.LoadPluginDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load pki %s: %w", dir, err)
	}
	a, err := ca.NewAuthority(ca.AuthorityOptions{}, m)
	if err != nil {
		return nil, fmt.Errorf("load pki %s: %w", dir, err)
	}
	roots := x509.NewCertPool()
	for _, r := range m.Roots {
		roots.AddCert(r)
	}
	return &PKI{Dir: dir, ServerName: contract.ControlPlaneHost(contract.DefaultNamespace), authority: a, roots: roots}, nil
}

// newIntermediate signs an ECDSA P-256 intermediate CA under root.
func newIntermediate(root *ca.Material) (*ca.Material, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("intermediate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("intermediate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{Organization: []string{ca.DefaultTrustDomain}, CommonName: "weft-load intermediate"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.Cert, key.Public(), root.Key)
	if err != nil {
		return nil, fmt.Errorf("sign intermediate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse intermediate: %w", err)
	}
	return &ca.Material{Cert: cert, Key: key, Chain: []*x509.Certificate{root.Cert}, Roots: root.Roots}, nil
}

// writePluginDir lays m out as Istio's cacerts; cert-chain.pem is the
// intermediate then the root, as Istio's tooling writes it.
func writePluginDir(dir string, m *ca.Material) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(m.Key)
	if err != nil {
		return fmt.Errorf("plug-in CA key: %w", err)
	}
	files := map[string][]byte{
		pluginCACert:    certsPEM(m.Cert),
		pluginCAKey:     pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		pluginRootCert:  certsPEM(m.Roots...),
		pluginCertChain: certsPEM(append([]*x509.Certificate{m.Cert}, m.Chain...)...),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return fmt.Errorf("plug-in CA: %w", err)
		}
	}
	return nil
}

func certsPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// Issue returns a fresh ECDSA P-256 key and a certificate for id signed by
// the CA (through a real CSR, as an agent gets it), with the intermediate.
func (p *PKI) Issue(id ca.Identity) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue %s: key: %w", id, err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue %s: csr: %w", id, err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue %s: csr: %w", id, err)
	}
	ttl, err := p.authority.TTL(0) // the CA's default lifetime, as an agent that names none gets
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue %s: %w", id, err)
	}
	chain, err := p.authority.Sign(csr, id, ttl)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue %s: %w", id, err)
	}
	out := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain[:len(chain)-1] { // the root is the server's to have
		out.Certificate = append(out.Certificate, c.Raw)
	}
	return out, nil
}

// Credentials are a proxy's mutual-TLS credentials for dialling weftd's
// secure port: its own certificate, the mesh roots, weftd's Service name,
// and the key exchanges that kind of client offers.
func (p *PKI) Credentials(cert tls.Certificate, kind Kind) credentials.TransportCredentials {
	c := p.clientConfig(cert)
	if kind == KindSidecar {
		c.CurvePreferences = envoyCurves
	}
	return credentials.NewTLS(c)
}

// envoyCurves are Envoy's default upstream ECDH curves (its
// ecdh_curves default): a simulated sidecar offers what Envoy offers, not
// Go's post-quantum hybrid, which proxyless gRPC clients do offer.
var envoyCurves = []tls.CurveID{tls.X25519, tls.CurveP256}

func (p *PKI) clientConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      p.roots,
		ServerName:   p.ServerName,
		MinVersion:   tls.VersionTLS12,
	}
}
