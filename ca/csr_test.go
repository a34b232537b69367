package ca

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseCSRAcceptsECDSAAndRSA(t *testing.T) {
	for name, pemBytes := range map[string][]byte{
		"ecdsa-p256": csrPEM(t, ecKey(t), ""),
		"rsa-2048":   csrPEM(t, rsaKey(t, 2048), "spiffe://cluster.local/ns/x/sa/y"),
	} {
		if _, err := ParseCSR(pemBytes); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseCSRRejects(t *testing.T) {
	valid := csrPEM(t, ecKey(t), "")
	block, _ := pem.Decode(valid)
	tampered := append([]byte(nil), block.Bytes...)
	tampered[len(tampered)-3] ^= 0xff // inside the signature
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, edKey)
	cases := map[string][]byte{
		"empty":        nil,
		"not pem":      []byte("hello"),
		"wrong type":   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes}),
		"garbage der":  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{0x30, 0x03, 1, 2, 3}}),
		"bad sig":      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: tampered}),
		"rsa-1024":     csrPEM(t, rsaKey(t, 1024), ""),
		"ed25519":      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: edDER}),
		"oversize pem": []byte(strings.Repeat("A", maxCSRBytes+1)),
	}
	for name, in := range cases {
		_, err := ParseCSR(in)
		if !errors.Is(err, ErrInvalidCSR) {
			t.Errorf("%s: got %v, want ErrInvalidCSR", name, err)
		}
	}
}

// FuzzParseCSR: no input panics, and anything accepted is a CSR whose
// signature verifies and whose key the signer can use.
func FuzzParseCSR(f *testing.F) {
	f.Add(csrPEM(f, ecKey(f), "spiffe://cluster.local/ns/a/sa/b"))
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		csr, err := ParseCSR(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidCSR) {
				t.Fatalf("error not marked ErrInvalidCSR: %v", err)
			}
			return
		}
		if csr.CheckSignature() != nil || checkPublicKey(csr.PublicKey) != nil {
			t.Fatal("accepted a CSR that fails its own checks")
		}
	})
}

// FuzzParseCertsPEM covers the PEM parsing of plug-in CA files and Secrets.
func FuzzParseCertsPEM(f *testing.F) {
	root, err := NewSelfSignedRoot("cluster.local", time.Now(), DefaultRootLifetime)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(root.RootsPEM())
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		certs, err := parseCertsPEM(in)
		if err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificate")
		}
		_, _ = parseKeyPEM(in)
	})
}
