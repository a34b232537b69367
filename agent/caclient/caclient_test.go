package caclient_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weftmesh/weft/agent/caclient"
	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/agent/testca"
)

const wait = 10 * time.Second

func serve(t *testing.T) (*testca.CA, *testca.Server) {
	t.Helper()
	ca, err := testca.New(testca.Options{Intermediate: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Serve()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return ca, srv
}

func newClient(t *testing.T, opts caclient.Options) *caclient.Client {
	t.Helper()
	c, err := caclient.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func csr(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func TestCreateCertificateOverTLSWithBearerToken(t *testing.T) {
	ca, srv := serve(t)
	c := newClient(t, caclient.Options{Addr: srv.Addr(), Roots: cert.StaticTrustBundle(ca.Root())})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	chain, err := c.CreateCertificate(ctx, &cert.SignRequest{CSRPEM: csr(t), Validity: 10 * time.Minute, Token: "spiffe://cluster.local/ns/prod/sa/reviews"})
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 3 {
		t.Fatalf("chain has %d entries, want leaf, intermediate, root", len(chain))
	}
	leaf, err := cert.ParsePEMCertificates([]byte(chain[0]))
	if err != nil {
		t.Fatal(err)
	}
	if got := leaf[0].URIs[0].String(); got != "spiffe://cluster.local/ns/prod/sa/reviews" {
		t.Errorf("identity %q: the token did not reach the CA", got)
	}
	if got := leaf[0].NotAfter.Sub(leaf[0].NotBefore); got != 10*time.Minute {
		t.Errorf("lifetime %v, want the requested 10m (validity_duration in seconds)", got)
	}
	reqs := ca.Requests()
	if len(reqs) != 1 || reqs[0].Validity != 10*time.Minute {
		t.Errorf("CA saw %+v", reqs)
	}
}

func TestRejectsACAServerOutsideTheRoots(t *testing.T) {
	_, srv := serve(t)
	stranger, err := testca.New(testca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, caclient.Options{Addr: srv.Addr(), Roots: cert.StaticTrustBundle(stranger.Root())})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, err = c.CreateCertificate(ctx, &cert.SignRequest{CSRPEM: csr(t), Token: "tok"})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("error %v, want a certificate verification failure", err)
	}
}

func TestRejectsAServerNameTheCertificateLacks(t *testing.T) {
	ca, srv := serve(t)
	c := newClient(t, caclient.Options{Addr: srv.Addr(), ServerName: "weftd.weft-system.svc", Roots: cert.StaticTrustBundle(ca.Root())})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := c.CreateCertificate(ctx, &cert.SignRequest{CSRPEM: csr(t), Token: "tok"}); err == nil {
		t.Fatal("connected to a server whose certificate does not name weftd.weft-system.svc")
	}
}

// The manager keeps retrying through real connection failures and gets a
// certificate once the CA listens again.
func TestManagerRecoversWhenTheCAServerReturns(t *testing.T) {
	ca, srv := serve(t)
	srv.Stop()
	var failures atomic.Int32
	c := newClient(t, caclient.Options{Addr: srv.Addr(), Roots: cert.StaticTrustBundle(ca.Root()), MaxReconnectDelay: 50 * time.Millisecond})
	counting := cert.CertificateClientFunc(func(ctx context.Context, req *cert.SignRequest) ([]string, error) {
		chain, err := c.CreateCertificate(ctx, req)
		if err != nil {
			failures.Add(1)
		}
		return chain, err
	})
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("tok"), 0o600); err != nil {
		t.Fatal(err)
	}
	mgr, err := cert.NewManager(cert.Options{Client: counting, TokenPath: token, BackoffInitial: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	go func() { _ = mgr.Run(ctx) }()
	for failures.Load() < 3 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	b, err := mgr.WaitReady(ctx)
	if err != nil {
		t.Fatalf("no certificate after the CA came back (%d failures): %v", failures.Load(), err)
	}
	if !b.ValidAt(time.Now()) {
		t.Error("issued certificate not valid now")
	}
}
