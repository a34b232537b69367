// Package certfiles writes workload credentials for proxyless gRPC
// applications: cert-chain.pem, key.pem and root-cert.pem in one directory,
// replaced atomically as a set on every rotation.
//
// Layout (the Kubernetes AtomicWriter scheme, which grpc-go's file_watcher
// plugin documents as the way to publish its files):
//
//	DIR/..gen-<generation>-<random>/{cert-chain.pem,key.pem,root-cert.pem}
//	DIR/..data          -> ..gen-<generation>-<random>
//	DIR/cert-chain.pem  -> ..data/cert-chain.pem   (likewise key.pem, root-cert.pem)
//
// A generation directory is complete and fsynced before the ..data symlink
// is swapped with a rename, so every open of a stable name sees a whole file,
// and a reader that resolves ..data once (Read, or any reader opening files
// relative to DIR/..data) always gets a matching key and certificate.
//
// grpc-go's file_watcher instead opens cert-chain.pem and then key.pem by
// path, and no layout makes two separate opens atomic as a pair: with a bare
// swap, a refresh straddling it would read the old certificate and the new
// key. tls.X509KeyPair would reject that pair (the watcher keeps its previous,
// still valid material), but grpc-go logs the rejected file contents, key
// included, at warning level. So a rotation also takes the stable
// cert-chain.pem and key.pem names away for a hold time (default 200ms):
//
//  1. remove the cert-chain.pem and key.pem links
//  2. swap ..data to the new generation
//  3. after Hold, recreate both links
//
// A reader whose two opens both succeed then read both before step 1 (old
// pair) or both after step 3 (new pair), unless it stalled longer than Hold
// between them. An open during the hold fails with "no such file", which
// file_watcher logs without any content and retries at its next refresh,
// keeping the previous pair meanwhile. root-cert.pem never disappears: the
// root bundle is read on its own and during a root rotation both bundles
// hold the roots in use.
//
// The previous generation is kept on disk so a reader that resolved ..data
// just before a swap can still open its files.
package certfiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/weftmesh/weft/agent/cert"
)

// File names inside the output directory (Istio's names).
const (
	CertChainFile = "cert-chain.pem"
	KeyFile       = "key.pem"
	RootCertFile  = "root-cert.pem"

	dataLink    = "..data"
	genPrefix   = "..gen-"
	tmpLinkName = "..data.tmp"
)

// Paths are the stable paths applications (and bootstraps) refer to.
type Paths struct {
	CertChain, Key, RootCert string
}

// PathsIn returns the stable paths in dir.
func PathsIn(dir string) Paths {
	return Paths{
		CertChain: filepath.Join(dir, CertChainFile),
		Key:       filepath.Join(dir, KeyFile),
		RootCert:  filepath.Join(dir, RootCertFile),
	}
}

// Options configure a Writer.
type Options struct {
	// Dir is the output directory, created if missing. Required.
	Dir string
	// Hold is how long a rotation keeps cert-chain.pem and key.pem absent
	// (see the package comment); default 200ms, negative means no hold.
	Hold time.Duration
}

// Writer publishes bundles into one directory. It is not safe for
// concurrent Write calls; the agent writes from one goroutine.
type Writer struct {
	dir  string
	hold time.Duration
}

// NewWriter creates the directory if needed.
func NewWriter(opts Options) (*Writer, error) {
	if opts.Dir == "" {
		return nil, errors.New("certfiles: Options.Dir is required")
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create certificate dir: %w", err)
	}
	if opts.Hold == 0 {
		opts.Hold = 200 * time.Millisecond
	}
	return &Writer{dir: opts.Dir, hold: max(opts.Hold, 0)}, nil
}

// Paths returns the stable file paths.
func (w *Writer) Paths() Paths { return PathsIn(w.dir) }

// Write publishes b as the new generation and removes generations older
// than the previous one.
func (w *Writer) Write(b *cert.Bundle) error {
	prev, _ := os.Readlink(filepath.Join(w.dir, dataLink)) // "" on the first write
	gen, err := w.writeGeneration(b)
	if err != nil {
		return err
	}
	held, err := w.removePairLinks(prev != "")
	if err != nil {
		return err
	}
	if err := w.swapData(gen); err != nil {
		_ = os.RemoveAll(filepath.Join(w.dir, gen))
		return errors.Join(err, w.ensureLinks())
	}
	if held {
		time.Sleep(w.hold)
	}
	if err := w.ensureLinks(); err != nil {
		return err
	}
	return w.prune(gen, prev)
}

// removePairLinks takes cert-chain.pem and key.pem away before a swap (step 1
// in the package comment). Nothing to hold on the first write or without a
// hold time.
func (w *Writer) removePairLinks(rotation bool) (bool, error) {
	if !rotation || w.hold == 0 {
		return false, nil
	}
	for _, name := range []string{CertChainFile, KeyFile} {
		if err := os.Remove(filepath.Join(w.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("remove %s before rotation: %w", name, err)
		}
	}
	return true, syncDir(w.dir)
}

// writeGeneration writes the three files into a new hidden directory.
func (w *Writer) writeGeneration(b *cert.Bundle) (string, error) {
	genDir, err := os.MkdirTemp(w.dir, fmt.Sprintf("%s%08d-", genPrefix, b.Generation))
	if err != nil {
		return "", fmt.Errorf("create generation dir: %w", err)
	}
	// MkdirTemp makes it 0700; the application may run as another user in
	// the pod, and key.pem's own mode is what protects the key.
	if err := os.Chmod(genDir, 0o755); err != nil {
		return "", fmt.Errorf("chmod generation dir: %w", err)
	}
	files := []struct {
		name string
		data []byte
		perm os.FileMode
	}{
		{CertChainFile, b.CertChainPEM, 0o644},
		{KeyFile, b.KeyPEM, 0o600},
		{RootCertFile, b.RootsPEM, 0o644},
	}
	for _, f := range files {
		if err := writeSynced(filepath.Join(genDir, f.name), f.data, f.perm); err != nil {
			_ = os.RemoveAll(genDir)
			return "", err
		}
	}
	if err := syncDir(genDir); err != nil {
		_ = os.RemoveAll(genDir)
		return "", err
	}
	return filepath.Base(genDir), nil
}

// swapData points ..data at gen with one rename, the atomic step.
func (w *Writer) swapData(gen string) error {
	return replaceSymlink(w.dir, dataLink, gen)
}

// ensureLinks makes each stable name a symlink into ..data. Their targets
// never change, so this only does work on the first write, after a hold, or
// after someone replaced them.
func (w *Writer) ensureLinks() error {
	for _, name := range []string{CertChainFile, KeyFile, RootCertFile} {
		want := filepath.Join(dataLink, name)
		if got, err := os.Readlink(filepath.Join(w.dir, name)); err == nil && got == want {
			continue
		}
		if err := replaceSymlink(w.dir, name, want); err != nil {
			return err
		}
	}
	return nil
}

// prune removes every generation but current and prev (the one ..data named
// before the swap; a reader may have just resolved it). Going by the link
// rather than by name order stays right when a restarted agent counts
// generations from 1 again.
func (w *Writer) prune(current, prev string) error {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return fmt.Errorf("list certificate dir: %w", err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, genPrefix) || name == current || name == prev {
			continue
		}
		if err := os.RemoveAll(filepath.Join(w.dir, name)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove old generations: %w", err)
	}
	return nil
}

// replaceSymlink atomically makes dir/name a symlink to target: a temporary
// link renamed over the old name (rename(2) replaces atomically; a symlink
// cannot be overwritten in place).
func replaceSymlink(dir, name, target string) error {
	tmp := filepath.Join(dir, tmpLinkName)
	_ = os.Remove(tmp) // left over by a crash between symlink and rename
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("create symlink %s -> %s: %w", name, target, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("swap symlink %s -> %s: %w", name, target, err)
	}
	return syncDir(dir)
}

// Files is one consistent set of credentials.
type Files struct {
	CertChain, Key, RootCert []byte
}

// Read returns the three files of one generation: it opens the generation
// directory through ..data once and reads relative to it, so a concurrent
// swap cannot mix generations.
func Read(dir string) (Files, error) {
	root, err := os.OpenRoot(filepath.Join(dir, dataLink))
	if err != nil {
		return Files{}, fmt.Errorf("open current generation: %w", err)
	}
	defer root.Close()
	var f Files
	for _, p := range []struct {
		name string
		dst  *[]byte
	}{{CertChainFile, &f.CertChain}, {KeyFile, &f.Key}, {RootCertFile, &f.RootCert}} {
		if *p.dst, err = root.ReadFile(p.name); err != nil {
			return Files{}, fmt.Errorf("read %s: %w", p.name, err)
		}
	}
	return f, nil
}
