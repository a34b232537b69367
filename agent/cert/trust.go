package cert

import (
	"crypto/x509"
	"fmt"
	"os"
)

// TrustBundleFunc returns the configured root bundle. It is called for every
// issued certificate, so a bundle that changes on disk (a ConfigMap updated
// during root rotation) is picked up without a restart.
type TrustBundleFunc func() ([]*x509.Certificate, error)

// FileTrustBundle reads every root in a PEM file on each call.
func FileTrustBundle(path string) TrustBundleFunc {
	return func() ([]*x509.Certificate, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read root bundle: %w", err)
		}
		roots, err := ParsePEMCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("root bundle %s: %w", path, err)
		}
		return roots, nil
	}
}

// StaticTrustBundle always returns roots.
func StaticTrustBundle(roots ...*x509.Certificate) TrustBundleFunc {
	return func() ([]*x509.Certificate, error) { return roots, nil }
}
