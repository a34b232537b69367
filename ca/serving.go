package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/weftmesh/weft/contract"
)

// servingTTL is the life of weftd's own TLS certificate; it is reissued at
// half-life and whenever the signing certificate changes.
const servingTTL = 24 * time.Hour

// servingCert is weftd's TLS certificate for the CA endpoint, signed by the
// same CA, so workloads verify weftd with the root bundle they already have.
type servingCert struct {
	authority *Authority
	dnsNames  []string
	ips       []net.IP
	now       func() time.Time

	mu     sync.RWMutex
	cert   *tls.Certificate
	signer *x509.Certificate // the CA certificate that signed cert
}

// get returns the current certificate (for tls.Config.GetCertificate).
func (s *servingCert) get() *tls.Certificate {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cert
}

// refresh reissues the certificate when it is past half its life or was
// signed by a CA certificate that no longer signs (rotation, plug-in reload).
func (s *servingCert) refresh() error {
	m := s.authority.Material()
	s.mu.RLock()
	fresh := s.cert != nil && s.signer.Equal(m.Cert) &&
		s.now().Before(s.cert.Leaf.NotBefore.Add(s.cert.Leaf.NotAfter.Sub(s.cert.Leaf.NotBefore)/2))
	s.mu.RUnlock()
	if fresh {
		return nil
	}
	cert, err := s.issue()
	if err != nil {
		return fmt.Errorf("serving certificate: %w", err)
	}
	s.mu.Lock()
	s.cert, s.signer = cert, m.Cert
	s.mu.Unlock()
	return nil
}

func (s *servingCert) issue() (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	chain, err := s.authority.issueServing(key.Public(), s.dnsNames, s.ips, servingTTL)
	if err != nil {
		return nil, err
	}
	// Send the leaf and intermediates; clients have the root already.
	tc := &tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain[:len(chain)-1] {
		tc.Certificate = append(tc.Certificate, c.Raw)
	}
	return tc, nil
}

// ServingNames returns the DNS names in weftd's serving certificate in
// namespace ns: contract.ControlPlaneSANs (its own Service, and istiod's so
// sidecars injected with Istio's defaults verify it) plus extra.
func ServingNames(ns string, extra []string) []string {
	return append(contract.ControlPlaneSANs(ns), extra...)
}
