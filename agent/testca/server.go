package testca

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/weftmesh/weft/ca/pb"
)

// Server serves the CA's gRPC API over TLS on a loopback address. It can be
// stopped and started again on the same address to play an unreachable CA.
type Server struct {
	ca   *CA
	addr string
	cert tls.Certificate

	mu sync.Mutex
	gs *grpc.Server
}

// Serve starts the gRPC service on 127.0.0.1 with a serving certificate for
// 127.0.0.1 and "localhost" issued by the CA's current root.
func (c *CA) Serve() (*Server, error) {
	servingCert, err := c.ServingCertificate([]string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{ca: c, addr: lis.Addr().String(), cert: servingCert}
	s.serve(lis)
	return s, nil
}

// Addr is host:port of the service.
func (s *Server) Addr() string { return s.addr }

// Stop closes the listener and every connection.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gs != nil {
		s.gs.Stop()
		s.gs = nil
	}
}

// Start listens again on the same address after Stop.
func (s *Server) Start() error {
	lis, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen again on %s: %w", s.addr, err)
	}
	s.serve(lis)
	return nil
}

func (s *Server) serve(lis net.Listener) {
	gs := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{s.cert},
		MinVersion:   tls.VersionTLS12,
	})))
	pb.RegisterIstioCertificateServiceServer(gs, service{ca: s.ca})
	s.mu.Lock()
	s.gs = gs
	s.mu.Unlock()
	go func() { _ = gs.Serve(lis) }()
}

// service is the gRPC face of the CA.
type service struct {
	pb.UnimplementedIstioCertificateServiceServer
	ca *CA
}

func (s service) CreateCertificate(ctx context.Context, req *pb.IstioCertificateRequest) (*pb.IstioCertificateResponse, error) {
	token, err := bearer(ctx)
	if err != nil {
		return nil, err
	}
	chain, err := s.ca.Sign(req.GetCsr(), token, time.Duration(req.GetValidityDuration())*time.Second)
	if err != nil {
		return nil, err
	}
	return &pb.IstioCertificateResponse{CertChain: chain}, nil
}

func bearer(ctx context.Context) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if token, ok := strings.CutPrefix(v, "Bearer "); ok {
			return token, nil
		}
	}
	return "", status.Error(codes.Unauthenticated, "no bearer token")
}

// ServingCertificate issues a server certificate from the CA's current issuer
// (real time, valid a day), with the chain up to but excluding the root.
func (c *CA) ServingCertificate(dnsNames []string, ips []net.IP) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	sn, err := serial()
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: "weft test CA server"},
		NotBefore:    now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: dnsNames, IPAddresses: ips,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	c.mu.Lock()
	issuer, root := c.issuer, c.root
	c.mu.Unlock()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer.cert, key.Public(), issuer.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("sign serving certificate: %w", err)
	}
	out := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	if issuer.cert != root.cert {
		out.Certificate = append(out.Certificate, issuer.cert.Raw)
	}
	return out, nil
}
