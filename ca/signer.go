package ca

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
)

const (
	// DefaultTTL is a workload certificate's lifetime when the request
	// names none: Istio's default, so agents renew on their usual schedule.
	DefaultTTL = 24 * time.Hour
	// DefaultMaxTTL caps requested lifetimes. Root rotation keeps an old
	// root trusted for this long after switching, so it also bounds that.
	DefaultMaxTTL = 90 * 24 * time.Hour
	// clockSkew backdates NotBefore so a peer whose clock is a little
	// behind ours does not reject a certificate we just issued.
	clockSkew = 5 * time.Minute
)

// ErrInvalidTTL is returned for a negative requested lifetime.
var ErrInvalidTTL = errors.New("invalid validity duration")

// Authority signs workload certificates with its current Material. The
// Material is swapped atomically (plug-in reload, root rotation), so signing
// never blocks on a reload and always uses one consistent key and chain.
type Authority struct {
	trustDomain spiffeid.TrustDomain
	defaultTTL  time.Duration
	maxTTL      time.Duration
	now         func() time.Time
	material    atomic.Pointer[Material]
}

// AuthorityOptions configures NewAuthority; zero values take the defaults.
type AuthorityOptions struct {
	TrustDomain string // default DefaultTrustDomain
	DefaultTTL  time.Duration
	MaxTTL      time.Duration
	Clock       func() time.Time // default time.Now; tests move it
}

// NewAuthority returns an Authority signing with m.
func NewAuthority(opts AuthorityOptions, m *Material) (*Authority, error) {
	opts = opts.withDefaults()
	td, err := spiffeid.TrustDomainFromString(opts.TrustDomain)
	if err != nil {
		return nil, fmt.Errorf("trust domain %q: %w", opts.TrustDomain, err)
	}
	if opts.DefaultTTL > opts.MaxTTL {
		return nil, fmt.Errorf("default TTL %s exceeds max TTL %s", opts.DefaultTTL, opts.MaxTTL)
	}
	a := &Authority{trustDomain: td, defaultTTL: opts.DefaultTTL, maxTTL: opts.MaxTTL, now: opts.Clock}
	if err := a.SetMaterial(m); err != nil {
		return nil, err
	}
	return a, nil
}

func (o AuthorityOptions) withDefaults() AuthorityOptions {
	if o.TrustDomain == "" {
		o.TrustDomain = DefaultTrustDomain
	}
	if o.DefaultTTL == 0 {
		o.DefaultTTL = DefaultTTL
	}
	if o.MaxTTL == 0 {
		o.MaxTTL = DefaultMaxTTL
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// SetMaterial validates m and makes it the signing material.
func (a *Authority) SetMaterial(m *Material) error {
	if err := m.validate(a.now()); err != nil {
		return fmt.Errorf("CA material: %w", err)
	}
	a.material.Store(m)
	return nil
}

// Material returns the current signing material.
func (a *Authority) Material() *Material { return a.material.Load() }

// TrustDomain returns the SPIFFE trust domain leaves are issued in.
func (a *Authority) TrustDomain() spiffeid.TrustDomain { return a.trustDomain }

// TTL turns a requested lifetime into the one issued: 0 means the default,
// and anything above the maximum is clamped to it rather than refused, so an
// agent configured for long-lived certificates still gets one (its NotAfter
// says how long). Negative lifetimes are refused.
func (a *Authority) TTL(requested time.Duration) (time.Duration, error) {
	switch {
	case requested < 0:
		return 0, fmt.Errorf("%w: %s is negative", ErrInvalidTTL, requested)
	case requested == 0:
		return a.defaultTTL, nil
	case requested > a.maxTTL:
		return a.maxTTL, nil
	}
	return requested, nil
}

// Sign issues a leaf for id with csr's public key and returns the chain,
// leaf first and root last. The CSR's subject and SANs are ignored: the
// identity is always the caller's, given here by the authenticator.
func (a *Authority) Sign(csr *x509.CertificateRequest, id Identity, ttl time.Duration) ([]*x509.Certificate, error) {
	sid, err := id.SPIFFEID(a.trustDomain)
	if err != nil {
		return nil, err
	}
	chain, err := a.issue(csr.PublicKey, ttl, func(t *x509.Certificate) {
		t.URIs = []*url.URL{sid.URL()}
	})
	if err != nil {
		return nil, fmt.Errorf("sign certificate for %s: %w", id, err)
	}
	return chain, nil
}

// issueServing signs weftd's own TLS certificate for its DNS names and IPs.
func (a *Authority) issueServing(pub crypto.PublicKey, dnsNames []string, ips []net.IP, ttl time.Duration) ([]*x509.Certificate, error) {
	return a.issue(pub, ttl, func(t *x509.Certificate) {
		t.DNSNames, t.IPAddresses = dnsNames, ips
	})
}

// issue signs a leaf for pub with the current material and returns it
// followed by the material's path to the root.
func (a *Authority) issue(pub crypto.PublicKey, ttl time.Duration, setSANs func(*x509.Certificate)) ([]*x509.Certificate, error) {
	m := a.material.Load()
	tmpl, err := a.leafTemplate(m, ttl)
	if err != nil {
		return nil, err
	}
	setSANs(tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, m.Cert, pub, m.Key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse signed certificate: %w", err)
	}
	return append([]*x509.Certificate{leaf}, m.certPath()...), nil
}

// leafTemplate is a certificate usable for mTLS in both directions, never a
// CA, backdated for clock skew, and never outliving the certificate that
// signs it. An empty subject makes x509 mark the SAN extension critical, as
// RFC 5280 requires and as Istio's workload certificates do.
func (a *Authority) leafTemplate(m *Material, ttl time.Duration) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := a.now()
	notAfter := now.Add(ttl)
	if notAfter.After(m.Cert.NotAfter) {
		notAfter = m.Cert.NotAfter
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}, nil
}
