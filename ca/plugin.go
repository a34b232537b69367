package ca

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// pluginFiles are the files of Istio's cacerts Secret, mounted as a directory.
var pluginFiles = []string{keyCACert, keyCAKey, keyRootCert, keyCertChain}

// LoadPluginDir reads a plug-in CA directory laid out as Istio's cacerts:
// ca-cert.pem and ca-key.pem sign; root-cert.pem is the trust bundle (it may
// hold several roots, which is how a plug-in root is rotated); cert-chain.pem
// (optional) is ca-cert.pem's chain up to the root, as Istio writes it.
func LoadPluginDir(dir string) (*Material, error) {
	files, err := readPluginFiles(dir)
	if err != nil {
		return nil, err
	}
	return pluginMaterial(files)
}

func readPluginFiles(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range pluginFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) && name == keyCertChain {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("plug-in CA: %w", err)
		}
		files[name] = b
	}
	return files, nil
}

func pluginMaterial(files map[string][]byte) (*Material, error) {
	m, err := getMaterial(files, keyCACert, keyCAKey)
	if err != nil {
		return nil, fmt.Errorf("plug-in CA: %w", err)
	}
	if m.Roots, err = parseCertsPEM(files[keyRootCert]); err != nil {
		return nil, fmt.Errorf("plug-in CA: %s: %w", keyRootCert, err)
	}
	if m.Chain, err = pluginChain(m.Cert, files[keyCertChain], m.Roots); err != nil {
		return nil, fmt.Errorf("plug-in CA: %w", err)
	}
	return m, nil
}

// pluginChain returns ca-cert's issuers up to its root. cert-chain.pem
// usually starts with ca-cert itself and may or may not end with the root;
// both are normalised away, and the root is taken from root-cert.pem.
func pluginChain(caCert *x509.Certificate, chainPEM []byte, roots []*x509.Certificate) ([]*x509.Certificate, error) {
	if isSelfSigned(caCert) {
		return nil, nil // ca-cert is the root itself
	}
	var chain []*x509.Certificate
	if len(bytes.TrimSpace(chainPEM)) > 0 {
		certs, err := parseCertsPEM(chainPEM)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", keyCertChain, err)
		}
		for _, c := range certs {
			if !c.Equal(caCert) && !isSelfSigned(c) {
				chain = append(chain, c)
			}
		}
	}
	top := caCert
	if len(chain) > 0 {
		top = chain[len(chain)-1]
	}
	for _, r := range roots {
		if top.CheckSignatureFrom(r) == nil {
			return append(chain, r), nil
		}
	}
	return nil, errors.New("no root in root-cert.pem signed the CA certificate's chain")
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

// pluginSource reloads a plug-in CA directory when its content changes (a
// mounted Secret is updated by swapping a symlink, so contents are hashed
// rather than mtimes trusted). A broken update keeps the last good material.
type pluginSource struct {
	dir string

	mu   sync.Mutex
	hash [32]byte
	m    *Material
}

func (p *pluginSource) sync(context.Context) (*Material, error) {
	files, err := readPluginFiles(p.dir)
	if err != nil {
		return p.keep(err)
	}
	h := hashFiles(files)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m != nil && h == p.hash {
		return p.m, nil
	}
	m, err := pluginMaterial(files)
	if err != nil {
		return p.keepLocked(err)
	}
	p.hash, p.m = h, m
	return m, nil
}

func (p *pluginSource) keep(err error) (*Material, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keepLocked(err)
}

// keepLocked returns the last good material with the error, so the caller
// logs the problem and goes on signing; at start there is nothing to keep.
func (p *pluginSource) keepLocked(err error) (*Material, error) {
	return p.m, err
}

func hashFiles(files map[string][]byte) [32]byte {
	h := sha256.New()
	for _, name := range pluginFiles {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(files[name]))
		h.Write(files[name])
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}
