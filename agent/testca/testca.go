// Package testca is a small in-process certificate authority speaking weft's
// CA API, for tests of weft-agent and of anything built on it. It can issue
// in memory (as a cert.CertificateClient) or serve the gRPC
// IstioCertificateService over TLS on 127.0.0.1, fail on demand, and rotate
// its root. It is not for production: keys live in memory and any non-empty
// token is accepted.
package testca

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/utils/clock"

	"github.com/weftmesh/weft/agent/cert"
)

// Options configure a CA. All fields are optional.
type Options struct {
	// Clock stamps NotBefore of issued workload certificates (default: real
	// time), so a manager on a fake clock gets certificates valid in its time.
	Clock clock.PassiveClock
	// TTL is the lifetime when the request asks for none and the cap on what
	// it asks for (default 1h).
	TTL time.Duration
	// Intermediate issues workload certificates from an intermediate below
	// the root, so the chain is leaf, intermediate, root.
	Intermediate bool
	// Identity maps a token to the SPIFFE ID put in the certificate. Default:
	// a token starting with "spiffe://" is the ID itself; any other non-empty
	// token is spiffe://cluster.local/ns/default/sa/default.
	Identity func(token string) (string, error)
}

// Request records one signing request the CA received.
type Request struct {
	Token    string
	Validity time.Duration
	Time     time.Time
}

// CA is the authority. Its methods are safe for concurrent use.
type CA struct {
	opts Options

	mu       sync.Mutex
	root     signer
	issuer   signer
	oldRoots []*x509.Certificate
	failWith error
	requests []Request
}

type signer struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// New creates a CA with a fresh root (and intermediate if asked).
func New(opts Options) (*CA, error) {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.TTL <= 0 {
		opts.TTL = time.Hour
	}
	if opts.Identity == nil {
		opts.Identity = defaultIdentity
	}
	c := &CA{opts: opts}
	if err := c.newRootLocked(); err != nil {
		return nil, err
	}
	return c, nil
}

func defaultIdentity(token string) (string, error) {
	if token == "" {
		return "", errors.New("empty token")
	}
	if u, err := url.Parse(token); err == nil && u.Scheme == "spiffe" {
		return token, nil
	}
	return "spiffe://cluster.local/ns/default/sa/default", nil
}

// RotateRoot replaces the root (and intermediate) with new ones. The old root
// stays in Roots, as a real CA publishes both during a rotation.
func (c *CA) RotateRoot() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.root.cert
	if err := c.newRootLocked(); err != nil {
		return err
	}
	c.oldRoots = append([]*x509.Certificate{old}, c.oldRoots...)
	return nil
}

func (c *CA) newRootLocked() error {
	// Roots and intermediates use real time and a long life: they only need
	// to cover any fake time a test moves to.
	now := time.Now()
	root, err := newSigner(&x509.Certificate{
		Subject:   pkix.Name{Organization: []string{"weft test"}, CommonName: fmt.Sprintf("root %d", now.UnixNano())},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, signer{})
	if err != nil {
		return err
	}
	c.root, c.issuer = root, root
	if !c.opts.Intermediate {
		return nil
	}
	c.issuer, err = newSigner(&x509.Certificate{
		Subject:   pkix.Name{Organization: []string{"weft test"}, CommonName: "intermediate"},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(5 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}, root)
	return err
}

// newSigner makes a key and a certificate from tmpl, signed by parent or self
// when parent is empty.
func newSigner(tmpl *x509.Certificate, parent signer) (signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return signer{}, err
	}
	tmpl.SerialNumber, err = serial()
	if err != nil {
		return signer{}, err
	}
	if parent.cert == nil {
		parent = signer{cert: tmpl, key: key}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent.cert, key.Public(), parent.key)
	if err != nil {
		return signer{}, fmt.Errorf("sign %q: %w", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	return signer{cert: c, key: key}, err
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// Root is the current root.
func (c *CA) Root() *x509.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.root.cert
}

// Roots is the current root followed by the ones rotated out.
func (c *CA) Roots() []*x509.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*x509.Certificate{c.root.cert}, c.oldRoots...)
}

// RootsPEM is Roots as PEM, e.g. for a --ca-root file.
func (c *CA) RootsPEM() []byte { return cert.EncodePEMCertificates(c.Roots()) }

// FailWith makes every request fail with err until called with nil, as if
// the CA were down (use a codes.Unavailable status for that).
func (c *CA) FailWith(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failWith = err
}

// Requests returns the requests received so far, failed ones included.
func (c *CA) Requests() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Request(nil), c.requests...)
}

// CreateCertificate signs in memory; it makes CA a cert.CertificateClient.
func (c *CA) CreateCertificate(_ context.Context, req *cert.SignRequest) ([]string, error) {
	return c.Sign(req.CSRPEM, req.Token, req.Validity)
}

// Sign issues a workload certificate for the identity of token (the CSR's
// own SANs are ignored, as in weft's CA) and returns leaf, [intermediate,]
// root as PEM strings.
func (c *CA) Sign(csrPEM, token string, validity time.Duration) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Clock.Now()
	c.requests = append(c.requests, Request{Token: token, Validity: validity, Time: now})
	if c.failWith != nil {
		return nil, c.failWith
	}
	id, err := c.opts.Identity(token)
	if err != nil {
		return nil, status.Errorf(codes.Unauthenticated, "token: %v", err)
	}
	csr, err := parseCSR(csrPEM)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	leaf, err := c.issueLocked(csr, id, now, c.ttl(validity))
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return c.chainLocked(leaf), nil
}

func (c *CA) ttl(requested time.Duration) time.Duration {
	if requested <= 0 || requested > c.opts.TTL {
		return c.opts.TTL
	}
	return requested
}

func parseCSR(csrPEM string) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode([]byte(csrPEM))
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("csr is not a PEM CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse csr: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("csr signature: %w", err)
	}
	return csr, nil
}

func (c *CA) issueLocked(csr *x509.CertificateRequest, id string, now time.Time, ttl time.Duration) (*x509.Certificate, error) {
	u, err := url.Parse(id)
	if err != nil {
		return nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		NotBefore:    now, NotAfter: now.Add(ttl),
		URIs:        []*url.URL{u},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.issuer.cert, csr.PublicKey, c.issuer.key)
	if err != nil {
		return nil, fmt.Errorf("sign workload certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

func (c *CA) chainLocked(leaf *x509.Certificate) []string {
	chain := []*x509.Certificate{leaf}
	if c.issuer.cert != c.root.cert {
		chain = append(chain, c.issuer.cert)
	}
	chain = append(chain, c.root.cert)
	out := make([]string, len(chain))
	for i, x := range chain {
		out[i] = string(cert.EncodePEMCertificates([]*x509.Certificate{x}))
	}
	return out
}

// IssueBundle makes a key, has the CA sign it for token's identity and
// returns the verified bundle, for tests that need credentials without
// running a cert.Manager.
func (c *CA) IssueBundle(token string, validity time.Duration) (*cert.Bundle, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		return nil, err
	}
	chain, err := c.Sign(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), token, validity)
	if err != nil {
		return nil, err
	}
	return cert.NewBundle(key, chain, nil, c.opts.Clock.Now())
}
