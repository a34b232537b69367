package ca

import (
	"context"
	"errors"
	"math"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/weftmesh/weft/ca/pb"
)

var errNoRotation = errors.New("ca: root rotation needs Kubernetes mode with a self-signed root (plug-in roots are rotated by editing root-cert.pem)")

// CreateCertificate implements Istio's IstioCertificateService: authenticate
// the caller, parse the CSR, sign it for the caller's identity. Status codes:
// Unauthenticated (no, bad, expired or wrong-audience token), InvalidArgument
// (CSR or lifetime), Unavailable (token review failed), Internal (signing).
func (s *Server) CreateCertificate(ctx context.Context, req *pb.IstioCertificateRequest) (*pb.IstioCertificateResponse, error) {
	id, err := s.authn.Authenticate(ctx)
	if err != nil {
		return nil, s.authnError(err)
	}
	csr, err := ParseCSR([]byte(req.GetCsr()))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	ttl, err := s.authority.TTL(secondsToDuration(req.GetValidityDuration()))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	chain, err := s.authority.Sign(csr, id, ttl)
	if err != nil {
		s.log.Error("sign workload certificate", "identity", id.String(), "err", err)
		return nil, status.Error(codes.Internal, "signing failed")
	}
	s.log.Debug("issued workload certificate", "identity", id.String(), "serial", chain[0].SerialNumber.Text(16),
		"notAfter", chain[0].NotAfter)
	resp := &pb.IstioCertificateResponse{}
	for _, c := range chain {
		resp.CertChain = append(resp.CertChain, string(encodeCertPEM(c.Raw)))
	}
	return resp, nil
}

// secondsToDuration converts validity_duration without overflowing: values
// past what a Duration holds saturate (and are then clamped to MaxTTL).
func secondsToDuration(secs int64) time.Duration {
	const limit = math.MaxInt64 / int64(time.Second)
	switch {
	case secs > limit:
		return math.MaxInt64
	case secs < -limit:
		return math.MinInt64
	}
	return time.Duration(secs) * time.Second
}

// authnError maps an authentication failure to a status. The message names
// what was wrong, never the token.
func (s *Server) authnError(err error) error {
	if errors.Is(err, ErrUnauthenticated) {
		return status.Error(codes.Unauthenticated, err.Error())
	}
	s.log.Warn("authenticate certificate request", "err", err)
	return status.Error(codes.Unavailable, "cannot authenticate now: "+err.Error())
}
