package sds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/fsnotify/fsnotify"

	"github.com/weftmesh/weft/contract"
)

// systemRootBundles are where Linux distributions keep the OS CA bundle
// (the first present is used for file-root:system, as Istio's agent).
var systemRootBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Alpine
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // openSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine, macOS
}

// fileSecrets serves the file-cert: and file-root: secrets a
// DestinationRule's certificate paths become: loaded from the files when
// Envoy first asks, and reloaded when a file in their directories changes
// (Kubernetes Secret volumes swap a symlink, so directories are watched).
type fileSecrets struct {
	log         *slog.Logger
	cache       *cache.LinearCache
	systemRoots []string

	mu      sync.Mutex
	watcher *fsnotify.Watcher
	loaded  map[string][]byte // secret name → content last published
	dirs    map[string]bool
}

func newFileSecrets(log *slog.Logger, c *cache.LinearCache, systemRoots []string) *fileSecrets {
	return &fileSecrets{log: log, cache: c, systemRoots: systemRoots, loaded: map[string][]byte{}, dirs: map[string]bool{}}
}

// request loads the file secrets among names not loaded yet; a file that
// cannot be read is logged and the secret left unpublished (Envoy keeps
// the cluster warming), as a missing mounted certificate does in Istio.
func (f *fileSecrets) request(names []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, name := range names {
		if _, done := f.loaded[name]; done {
			continue
		}
		if _, _, _, ok := contract.ParseFileSecret(name); !ok {
			continue
		}
		if err := f.loadLocked(name); err != nil {
			f.log.Warn("cannot serve file certificate", "secret", name, "error", err)
		}
	}
}

// loadLocked reads name's files and publishes them when they changed.
func (f *fileSecrets) loadLocked(name string) error {
	sec, files, err := f.read(name)
	if err != nil {
		return err
	}
	for _, file := range files {
		f.watchLocked(filepath.Dir(file))
	}
	key := secretBytes(sec)
	if len(key) == 0 {
		return fmt.Errorf("%v: empty", files) // a file being rewritten in place
	}
	if old, ok := f.loaded[name]; ok && bytes.Equal(old, key) {
		return nil
	}
	if err := f.cache.UpdateResource(name, sec); err != nil {
		return fmt.Errorf("publish %s: %w", name, err)
	}
	f.loaded[name] = key
	return nil
}

// read builds the secret name stands for and lists the files it read.
func (f *fileSecrets) read(name string) (*tlsv3.Secret, []string, error) {
	cert, key, ca, _ := contract.ParseFileSecret(name)
	if ca == "" {
		chain, err1 := os.ReadFile(cert)
		pk, err2 := os.ReadFile(key)
		if err := errors.Join(err1, err2); err != nil {
			return nil, nil, err
		}
		return &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: inline(chain), PrivateKey: inline(pk)}}}, []string{cert, key}, nil
	}
	if ca == "system" {
		var err error
		if ca, err = firstExisting(f.systemRoots); err != nil {
			return nil, nil, err
		}
	}
	roots, err := os.ReadFile(ca)
	if err != nil {
		return nil, nil, err
	}
	return &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
		TrustedCa: inline(roots)}}}, []string{ca}, nil
}

func firstExisting(paths []string) (string, error) {
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("no system CA bundle in %v", paths)
}

// secretBytes is what decides whether a reload changed a secret.
func secretBytes(s *tlsv3.Secret) []byte {
	if tc := s.GetTlsCertificate(); tc != nil {
		return append(append([]byte{}, tc.GetCertificateChain().GetInlineBytes()...), tc.GetPrivateKey().GetInlineBytes()...)
	}
	return s.GetValidationContext().GetTrustedCa().GetInlineBytes()
}

func (f *fileSecrets) watchLocked(dir string) {
	if f.dirs[dir] || f.watcher == nil {
		return
	}
	if err := f.watcher.Add(dir); err != nil {
		f.log.Warn("cannot watch certificate directory; changes will not be picked up", "dir", dir, "error", err)
		return
	}
	f.dirs[dir] = true
}

// run watches loaded files until ctx ends, reloading every file secret on
// a change in a watched directory (few secrets, small files).
func (f *fileSecrets) run(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch certificate files: %w", err)
	}
	defer w.Close()
	f.mu.Lock()
	f.watcher = w
	for name := range f.loaded {
		_ = f.loadLocked(name) // adds the directories of secrets loaded before run
	}
	f.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-w.Events:
			f.log.Debug("certificate file changed", "file", ev.Name, "op", ev.Op.String())
			f.reload()
		case err := <-w.Errors:
			f.log.Warn("certificate file watch", "error", err)
		}
	}
}

func (f *fileSecrets) reload() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for name := range f.loaded {
		if err := f.loadLocked(name); err != nil {
			f.log.Warn("cannot reload file certificate; serving the previous one", "secret", name, "error", err)
		}
	}
}
