package cert

import (
	"context"
	"time"
)

// CertificateClient asks a CA to sign a CSR. It is the one thing the manager
// needs from the CA, so tests can hand in an in-memory CA and production code a
// gRPC client for Istio's IstioCertificateService (see agent/caclient).
type CertificateClient interface {
	// CreateCertificate returns the signed chain, leaf first and root last.
	CreateCertificate(ctx context.Context, req *SignRequest) ([]string, error)
}

// SignRequest is one IstioCertificateRequest plus the credential that
// authenticates it.
type SignRequest struct {
	// CSRPEM is a PEM "CERTIFICATE REQUEST".
	CSRPEM string
	// Validity is the requested lifetime; zero lets the CA choose.
	Validity time.Duration
	// Token is the service-account JWT sent as "authorization: Bearer"; the CA
	// derives the workload identity from it, not from the CSR.
	Token string
}

// CertificateClientFunc adapts a function to CertificateClient.
type CertificateClientFunc func(ctx context.Context, req *SignRequest) ([]string, error)

// CreateCertificate calls f.
func (f CertificateClientFunc) CreateCertificate(ctx context.Context, req *SignRequest) ([]string, error) {
	return f(ctx, req)
}
