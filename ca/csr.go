package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// maxCSRBytes bounds the PEM we parse: a P-256 CSR is ~400 bytes and a
// 4096-bit RSA one ~1.7 KiB, so anything near this is garbage or abuse.
const maxCSRBytes = 32 << 10

// RSA keys below 2048 bits are breakable; above 8192 they only cost CPU.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// ErrInvalidCSR marks every CSR problem, so the server can map it to
// codes.InvalidArgument without string matching.
var ErrInvalidCSR = errors.New("invalid CSR")

// ParseCSR decodes one PEM "CERTIFICATE REQUEST", checks its self-signature
// (proof the caller holds the private key) and that its public key is one we
// sign: ECDSA on P-256/P-384/P-521 or RSA of 2048–8192 bits. Subject and SANs
// are returned as sent; the signer ignores them.
func ParseCSR(pemBytes []byte) (*x509.CertificateRequest, error) {
	if len(pemBytes) > maxCSRBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidCSR, len(pemBytes), maxCSRBytes)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrInvalidCSR)
	}
	if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("%w: PEM block is %q, want CERTIFICATE REQUEST", ErrInvalidCSR, block.Type)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCSR, err)
	}
	// The key first: checking a signature made with a huge RSA key is
	// what would cost the CPU.
	if err := checkPublicKey(csr.PublicKey); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrInvalidCSR, err)
	}
	return csr, nil
}

// checkPublicKey accepts the key types workload proxies generate.
func checkPublicKey(pub any) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return fmt.Errorf("unsupported ECDSA curve %s", k.Curve.Params().Name)
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return fmt.Errorf("RSA key of %d bits, want %d–%d", bits, minRSABits, maxRSABits)
		}
		return nil
	default:
		return fmt.Errorf("unsupported public key type %T", pub)
	}
}
