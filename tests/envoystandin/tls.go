package envoystandin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/grpc/credentials"
)

var (
	// ErrUntrustedChain: the server's chain does not verify against the
	// validation context's trusted CA.
	ErrUntrustedChain = errors.New("server certificate chain is not trusted by the SDS validation context")
	// ErrSANMismatch: the server's certificate satisfies none of the
	// bootstrap's SAN matchers.
	ErrSANMismatch = errors.New("server certificate matches none of the bootstrap's SAN matchers")
)

// clientTLS is the TLS Envoy uses for the ADS cluster: the SDS client
// certificate, the bootstrap's SNI and ALPN, and the server checked against
// the SDS roots and the bootstrap's SAN matchers.
func clientTLS(u *UpstreamTLS, cert, roots *secretWatch) *tls.Config {
	return &tls.Config{
		ServerName: u.SNI,
		NextProtos: u.ALPN,
		MinVersion: u.MinVersion,
		MaxVersion: u.MaxVersion,
		// Envoy never checks the SNI against the certificate: it verifies
		// the chain and the SAN matchers, which VerifyConnection does.
		InsecureSkipVerify: true,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return cert.current().(*tls.Certificate), nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyServer(cs.PeerCertificates, roots.current().(*x509.CertPool), u.SANs)
		},
	}
}

// verifyServer checks the chain to the roots for server auth, then the SANs.
func verifyServer(chain []*x509.Certificate, roots *x509.CertPool, sans []SANMatcher) error {
	if len(chain) == 0 {
		return errors.New("server presented no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	leaf := chain[0]
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return fmt.Errorf("%w: %w", ErrUntrustedChain, err)
	}
	if len(sans) == 0 {
		return nil
	}
	for _, m := range sans {
		if m.matches(leaf) {
			return nil
		}
	}
	return fmt.Errorf("%w: certificate has DNS %q IP %v URI %v; bootstrap wants one of %s",
		ErrSANMismatch, leaf.DNSNames, leaf.IPAddresses, leaf.URIs, describeSANs(sans))
}

func describeSANs(sans []SANMatcher) string {
	parts := make([]string, len(sans))
	for i, m := range sans {
		parts[i] = fmt.Sprintf("%v %v", m.Type, m.Matcher)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// matches applies the matcher to the SANs of its type (all types for a
// legacy untyped matcher), as Envoy's default certificate validator does.
func (m SANMatcher) matches(c *x509.Certificate) bool {
	any := m.Type == tlsv3.SubjectAltNameMatcher_SAN_TYPE_UNSPECIFIED
	if any || m.Type == tlsv3.SubjectAltNameMatcher_DNS {
		for _, n := range c.DNSNames {
			if m.matchDNS(n) {
				return true
			}
		}
	}
	var values []string
	if any || m.Type == tlsv3.SubjectAltNameMatcher_IP_ADDRESS {
		for _, ip := range c.IPAddresses {
			values = append(values, ip.String())
		}
	}
	if any || m.Type == tlsv3.SubjectAltNameMatcher_URI {
		for _, u := range c.URIs {
			values = append(values, u.String())
		}
	}
	if any || m.Type == tlsv3.SubjectAltNameMatcher_EMAIL {
		values = append(values, c.EmailAddresses...)
	}
	for _, v := range values {
		if matchString(m.Matcher, v) {
			return true
		}
	}
	return false
}

// matchDNS lets a wildcard DNS SAN satisfy an exact matcher, as Envoy does.
func (m SANMatcher) matchDNS(san string) bool {
	if exact := m.Matcher.GetExact(); exact != "" && strings.HasPrefix(san, "*.") {
		first, rest, ok := strings.Cut(exact, ".")
		return ok && first != "" && strings.EqualFold(rest, san[2:])
	}
	return matchString(m.Matcher, san)
}

func matchString(m *matcherv3.StringMatcher, v string) bool {
	norm := func(s string) string { return s }
	if m.GetIgnoreCase() {
		norm = strings.ToLower
	}
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return norm(v) == norm(p.Exact)
	case *matcherv3.StringMatcher_Prefix:
		return strings.HasPrefix(norm(v), norm(p.Prefix))
	case *matcherv3.StringMatcher_Suffix:
		return strings.HasSuffix(norm(v), norm(p.Suffix))
	case *matcherv3.StringMatcher_Contains:
		return strings.Contains(norm(v), norm(p.Contains))
	case *matcherv3.StringMatcher_SafeRegex:
		re, err := regexp.Compile("^(?:" + p.SafeRegex.GetRegex() + ")$")
		return err == nil && re.MatchString(v)
	}
	return false
}

// envoyCreds is gRPC transport security that uses the TLS config exactly:
// gRPC's own TLS credentials would put the dial authority into an empty
// ServerName, sending an SNI the bootstrap does not ask for. It keeps the
// last handshake error so a failed dial can say why.
type envoyCreds struct {
	cfg *tls.Config

	mu      sync.Mutex
	lastErr error
}

func (c *envoyCreds) ClientHandshake(ctx context.Context, _ string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn := tls.Client(raw, c.cfg.Clone())
	if err := conn.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		c.mu.Lock()
		c.lastErr = err
		c.mu.Unlock()
		return nil, nil, err
	}
	info := credentials.TLSInfo{State: conn.ConnectionState(), CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}
	return conn, info, nil
}

// handshakeErr is the last handshake failure since reset; nil-safe, as
// plaintext has no envoyCreds.
func (c *envoyCreds) handshakeErr() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// reset forgets the last failure, so it is not blamed for a later one.
func (c *envoyCreds) reset() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastErr = nil
}

func (c *envoyCreds) ServerHandshake(net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errors.New("envoystandin: client-side credentials only")
}

func (c *envoyCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "tls"}
}

// Clone returns c: the config is never modified (each handshake clones
// it), and clones must share the last handshake error.
func (c *envoyCreds) Clone() credentials.TransportCredentials { return c }

// OverrideServerName is deprecated in gRPC; the SNI comes from the bootstrap.
func (c *envoyCreds) OverrideServerName(string) error { return nil }
