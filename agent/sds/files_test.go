package sds_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/weftmesh/weft/agent/sds"
	"github.com/weftmesh/weft/contract"
)

func startWith(t *testing.T, opts sds.Options) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sds.sock")
	lis, err := sds.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sds.New(opts).Serve(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			t.Error("Serve did not return")
		}
	})
	return path
}

// write replaces path atomically, as a Kubernetes Secret volume does.
func write(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// A DestinationRule's certificate paths reach Envoy as file-cert: and
// file-root: secrets the agent reads from the pod's filesystem.
func TestServesFileCertificatesAndReloadsOnChange(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write(t, ca, "roots-1")
	write(t, cert, "chain")
	write(t, key, "key")
	path := startWith(t, sds.Options{})
	root, pair := contract.FileRootName(ca), contract.FileCertName(cert, key)

	s := stream(t, path, root, pair)
	_, got := recv(t, s, root, pair)
	if v := got[root].GetValidationContext().GetTrustedCa().GetInlineBytes(); string(v) != "roots-1" {
		t.Errorf("%s trusted CA = %q, want the file's content", root, v)
	}
	tc := got[pair].GetTlsCertificate()
	if string(tc.GetCertificateChain().GetInlineBytes()) != "chain" || string(tc.GetPrivateKey().GetInlineBytes()) != "key" {
		t.Errorf("%s = %v, want the chain and key files", pair, tc)
	}

	write(t, ca, "roots-2") // a rotated CA is pushed without a new request
	_, got = recv(t, s, root, pair)
	if v := got[root].GetValidationContext().GetTrustedCa().GetInlineBytes(); !bytes.Equal(v, []byte("roots-2")) {
		t.Errorf("after the file changed, %s = %q, want roots-2", root, v)
	}
}

// caCertificates unset: "the proxy will verify the server's certificate
// using the OS CA certificates" (file-root:system).
func TestServesSystemRootsForFileRootSystem(t *testing.T) {
	bundle := filepath.Join(t.TempDir(), "ca-certificates.crt")
	write(t, bundle, "os-roots")
	path := startWith(t, sds.Options{SystemRoots: []string{filepath.Join(t.TempDir(), "absent.pem"), bundle}})
	_, got := recv(t, stream(t, path, contract.FileRootSystem), contract.FileRootSystem)
	if v := got[contract.FileRootSystem].GetValidationContext().GetTrustedCa().GetInlineBytes(); string(v) != "os-roots" {
		t.Errorf("file-root:system = %q, want the first existing OS bundle", v)
	}
}
