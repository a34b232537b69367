// Package caclient is the gRPC client for weft's CA (Istio's
// IstioCertificateService). It authenticates each call with the pod's
// service-account token and verifies the CA's TLS certificate against roots
// looked up on every handshake, so a root rotation needs no restart.
package caclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/ca/pb"
)

// Options configure a Client.
type Options struct {
	// Addr is the CA's host:port (weftd's 15012).
	Addr string
	// Roots verify the CA's serving certificate; called per handshake.
	// Required unless Plaintext.
	Roots cert.TrustBundleFunc
	// ServerName is checked against the CA's certificate; default: the host
	// part of Addr.
	ServerName string
	// MaxReconnectDelay caps grpc-go's reconnect backoff (default 30s, the
	// manager's own retry cap; grpc-go's default of 2 minutes would make a
	// CA that comes back wait for the channel rather than for the manager).
	MaxReconnectDelay time.Duration
	// Plaintext disables TLS, for a local CA in development only: the token
	// then crosses the connection unencrypted.
	Plaintext bool
}

// Client implements cert.CertificateClient over gRPC.
type Client struct {
	conn *grpc.ClientConn
	ca   pb.IstioCertificateServiceClient
}

var _ cert.CertificateClient = (*Client)(nil)

// New creates the client; it connects lazily on the first call.
func New(opts Options) (*Client, error) {
	creds, err := transportCredentials(opts)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(opts.Addr,
		grpc.WithTransportCredentials(creds),
		grpc.WithConnectParams(connectParams(opts.MaxReconnectDelay)))
	if err != nil {
		return nil, fmt.Errorf("CA client for %s: %w", opts.Addr, err)
	}
	return &Client{conn: conn, ca: pb.NewIstioCertificateServiceClient(conn)}, nil
}

func connectParams(maxDelay time.Duration) grpc.ConnectParams {
	if maxDelay <= 0 {
		maxDelay = 30 * time.Second
	}
	cfg := backoff.DefaultConfig
	cfg.BaseDelay = min(cfg.BaseDelay, maxDelay)
	cfg.MaxDelay = maxDelay
	return grpc.ConnectParams{Backoff: cfg, MinConnectTimeout: 20 * time.Second}
}

// CreateCertificate sends the CSR with "authorization: Bearer <token>".
func (c *Client) CreateCertificate(ctx context.Context, req *cert.SignRequest) ([]string, error) {
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+req.Token)
	resp, err := c.ca.CreateCertificate(ctx, &pb.IstioCertificateRequest{Csr: req.CSRPEM, ValidityDuration: seconds(req.Validity)})
	if err != nil {
		return nil, err
	}
	return resp.GetCertChain(), nil
}

// seconds is validity_duration's unit, rounded up so a short positive TTL
// does not become 0 ("CA default").
func seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// Close releases the connection.
func (c *Client) Close() error { return c.conn.Close() }

func transportCredentials(opts Options) (credentials.TransportCredentials, error) {
	if opts.Addr == "" {
		return nil, errors.New("caclient: Options.Addr is required")
	}
	if opts.Plaintext {
		return insecure.NewCredentials(), nil
	}
	if opts.Roots == nil {
		return nil, errors.New("caclient: Options.Roots is required for TLS")
	}
	name := opts.ServerName
	if name == "" {
		host, _, err := net.SplitHostPort(opts.Addr)
		if err != nil {
			return nil, fmt.Errorf("caclient: address %q: %w", opts.Addr, err)
		}
		name = host
	}
	return credentials.NewTLS(TLSConfig(name, opts.Roots)), nil
}

// TLSConfig verifies the server as name against roots read at handshake
// time. crypto/tls's own verification is replaced (not weakened): it would
// pin the roots at construction.
func TLSConfig(name string, roots cert.TrustBundleFunc) *tls.Config {
	return &tls.Config{
		ServerName:         name,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // verified in VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyServer(cs, name, roots)
		},
	}
}

func verifyServer(cs tls.ConnectionState, name string, roots cert.TrustBundleFunc) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("server sent no certificate")
	}
	anchors, err := roots()
	if err != nil {
		return fmt.Errorf("load roots to verify %s: %w", name, err)
	}
	opts := x509.VerifyOptions{DNSName: name, Roots: x509.NewCertPool(), Intermediates: x509.NewCertPool()}
	for _, r := range anchors {
		opts.Roots.AddCert(r)
	}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
		return fmt.Errorf("verify CA server certificate for %s: %w", name, err)
	}
	return nil
}
