package certfiles_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/agent/certfiles"
	"github.com/weftmesh/weft/agent/testca"
)

func bundles(t *testing.T, n int) []*cert.Bundle {
	t.Helper()
	ca, err := testca.New(testca.Options{Intermediate: true})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*cert.Bundle, n)
	for i := range out {
		if out[i], err = ca.IssueBundle("tok", 0); err != nil {
			t.Fatal(err)
		}
		out[i].Generation = uint64(i + 1)
	}
	return out
}

func TestWritesStablePathsWithKeyPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	w, err := certfiles.NewWriter(certfiles.Options{Dir: dir, Hold: -1})
	if err != nil {
		t.Fatal(err)
	}
	bs := bundles(t, 2)
	for _, b := range bs {
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		p := w.Paths()
		chain, key, roots := mustRead(t, p.CertChain), mustRead(t, p.Key), mustRead(t, p.RootCert)
		if !bytes.Equal(chain, b.CertChainPEM) || !bytes.Equal(key, b.KeyPEM) || !bytes.Equal(roots, b.RootsPEM) {
			t.Fatalf("generation %d: files differ from the bundle", b.Generation)
		}
		st, err := os.Stat(p.Key)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("key.pem mode %v, want 0600", st.Mode().Perm())
		}
		files, err := certfiles.Read(dir)
		if err != nil || !bytes.Equal(files.Key, b.KeyPEM) {
			t.Fatalf("Read: %v (key matches: %v)", err, bytes.Equal(files.Key, b.KeyPEM))
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeepsOnlyCurrentAndPreviousGeneration(t *testing.T) {
	dir := t.TempDir()
	w, err := certfiles.NewWriter(certfiles.Options{Dir: dir, Hold: -1})
	if err != nil {
		t.Fatal(err)
	}
	bs := bundles(t, 4)
	// A restarted agent counts from 1 again: generation numbers repeat.
	bs[3].Generation = 1
	for _, b := range bs {
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var gens []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..gen-") {
			gens = append(gens, e.Name())
		}
	}
	if len(gens) != 2 {
		t.Fatalf("generation dirs %v, want current and previous", gens)
	}
	cur, _ := os.Readlink(filepath.Join(dir, "..data"))
	if !strings.HasPrefix(cur, "..gen-00000001-") {
		t.Errorf("..data -> %s, want the last written generation", cur)
	}
	for _, g := range gens {
		if g != cur && !strings.HasPrefix(g, "..gen-00000003-") {
			t.Errorf("kept %s; want the previous generation (3) kept", g)
		}
	}
}

// While generations are swapped back to back, readers check what they see:
//   - Read (one resolution of ..data) must always return a key and chain that
//     pair, and a chain that verifies against the roots read with it;
//   - a reader opening cert-chain.pem then key.pem by path, as grpc-go's
//     file_watcher does, must see complete files that pair, or "no such file"
//     during a hold. A mismatched pair is allowed only if the reader stalled
//     longer than the hold between its two reads (measured, and logged).
func TestConcurrentReadersNeverSeeMismatchedPair(t *testing.T) {
	const generations = 25
	const hold = 20 * time.Millisecond
	dir := t.TempDir()
	w, err := certfiles.NewWriter(certfiles.Options{Dir: dir, Hold: hold})
	if err != nil {
		t.Fatal(err)
	}
	bs := bundles(t, generations)
	if err := w.Write(bs[0]); err != nil {
		t.Fatal(err)
	}
	var done atomic.Bool
	var consistentReads, pathReads, holes, stalls atomic.Int64
	var wg sync.WaitGroup
	const maxReads = 200000 // bounds each loop even if the writer stalls
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < maxReads && !done.Load(); i++ {
			f, err := certfiles.Read(dir)
			if err != nil {
				t.Errorf("Read: %v", err)
				return
			}
			if err := checkPair(f.CertChain, f.Key, f.RootCert); err != nil {
				t.Errorf("Read returned an inconsistent set: %v", err)
				return
			}
			consistentReads.Add(1)
		}
	}()
	go func() {
		defer wg.Done()
		p := certfiles.PathsIn(dir)
		for i := 0; i < maxReads && !done.Load(); i++ {
			start := time.Now()
			chain, err1 := os.ReadFile(p.CertChain)
			key, err2 := os.ReadFile(p.Key)
			gap := time.Since(start)
			if errors.Is(err1, fs.ErrNotExist) || errors.Is(err2, fs.ErrNotExist) {
				holes.Add(1)
				time.Sleep(100 * time.Microsecond) // wait out the hold without spinning
				continue
			}
			if err1 != nil || err2 != nil {
				t.Errorf("read by path: %v, %v", err1, err2)
				return
			}
			if err := complete(chain, key); err != nil {
				t.Errorf("partial file seen: %v", err)
				return
			}
			pathReads.Add(1)
			if _, err := tls.X509KeyPair(chain, key); err != nil {
				if gap < hold || !strings.Contains(err.Error(), "does not match") {
					t.Errorf("mismatched pair read within %v (hold %v): %v", gap, hold, err)
					return
				}
				stalls.Add(1) // the reader itself stalled past the hold
			}
		}
	}()
	for _, b := range bs[1:] {
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // let readers land on both sides of each swap
	}
	done.Store(true)
	wg.Wait()
	if consistentReads.Load() < generations || pathReads.Load() < generations {
		t.Errorf("too few reads to mean anything: %d consistent, %d by path", consistentReads.Load(), pathReads.Load())
	}
	if holes.Load() == 0 {
		t.Error("no read fell into a hold: the test did not exercise rotation")
	}
	t.Logf("%d consistent reads; by path %d pairs, %d in a hold, %d mismatched after a reader stall > hold",
		consistentReads.Load(), pathReads.Load(), holes.Load(), stalls.Load())
}

func checkPair(chain, key, roots []byte) error {
	pair, err := tls.X509KeyPair(chain, key)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(roots) {
		return os.ErrInvalid
	}
	inter := x509.NewCertPool()
	for _, der := range pair.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return err
		}
		inter.AddCert(c)
	}
	_, err = pair.Leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

// complete checks each file parses in full: a torn write would not.
func complete(chain, key []byte) error {
	if _, err := cert.ParsePEMCertificates(chain); err != nil {
		return err
	}
	block, rest := pem.Decode(key)
	if block == nil || len(bytes.TrimSpace(rest)) != 0 {
		return os.ErrInvalid
	}
	_, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	return err
}

func TestWriteFileAtomicReplacesWithoutLeftovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "grpc-bootstrap.json")
	for _, content := range []string{`{"a":1}`, `{"b":2}`} {
		if err := certfiles.WriteFileAtomic(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := string(mustRead(t, path)); got != content {
			t.Errorf("content %q, want %q", got, content)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only the file (no temp files)", len(entries))
	}
}
