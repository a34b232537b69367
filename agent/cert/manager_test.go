package cert_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/agent/testca"
)

const wait = 10 * time.Second // real-time bound on every wait in these tests

// fixture is a manager on a fake clock against an in-memory CA.
type fixture struct {
	t       *testing.T
	clock   *clocktesting.FakeClock
	ca      *testca.CA
	mgr     *cert.Manager
	updates <-chan *cert.Bundle
	token   string
}

func newFixture(t *testing.T, caOpts testca.Options, opts cert.Options) *fixture {
	t.Helper()
	// x509 validity has whole seconds: start on one so lifetimes are exact.
	fc := clocktesting.NewFakeClock(time.Now().Truncate(time.Second))
	caOpts.Clock = fc
	ca, err := testca.New(caOpts)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, clock: fc, ca: ca, token: filepath.Join(t.TempDir(), "istio-token")}
	f.writeToken("token-1")
	if opts.Client == nil {
		opts.Client = ca
	}
	opts.TokenPath = f.token
	opts.Clock = fc
	if opts.Rand == nil {
		opts.Rand = func() float64 { return 0.5 } // no jitter unless a test asks
	}
	f.mgr, err = cert.NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	updates, cancel := f.mgr.Subscribe()
	t.Cleanup(cancel)
	f.updates = updates
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.mgr.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(wait):
			t.Error("Run did not return after cancel")
		}
	})
	return f
}

func (f *fixture) writeToken(tok string) {
	f.t.Helper()
	if err := os.WriteFile(f.token, []byte(tok+"\n"), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// next waits for the next published bundle.
func (f *fixture) next() *cert.Bundle {
	f.t.Helper()
	select {
	case b := <-f.updates:
		return b
	case <-time.After(wait):
		f.t.Fatal("no certificate published")
		return nil
	}
}

// sleeping waits until the manager has made n requests and sits in its timer,
// so a clock step is sure to be seen by that timer.
func (f *fixture) sleeping(n int) {
	f.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if len(f.ca.Requests()) == n && f.clock.Waiters() == 1 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	f.t.Fatalf("manager not sleeping after %d requests (requests %d, waiters %d)", n, len(f.ca.Requests()), f.clock.Waiters())
}

func TestRotatesAtHalfLifetimeWithJitter(t *testing.T) {
	// Rand 0.75 moves rotation by +0.1*(2*0.75-1) = +5% of the lifetime.
	f := newFixture(t, testca.Options{TTL: time.Hour}, cert.Options{Rand: func() float64 { return 0.75 }})
	start := f.clock.Now()
	first := f.next()
	if first.Generation != 1 || first.NotAfter().Sub(first.NotBefore()) != time.Hour {
		t.Fatalf("first bundle %v", first)
	}
	f.writeToken("token-2") // kubelet rotated the token

	f.sleeping(1)
	f.clock.Step(33*time.Minute - time.Second)
	f.sleeping(1) // the timer has not fired one second early
	f.clock.Step(time.Second)
	second := f.next()

	reqs := f.ca.Requests()
	if got := reqs[1].Time.Sub(start); got != 33*time.Minute {
		t.Errorf("rotated after %v, want 33m (55%% of 1h)", got)
	}
	if reqs[0].Token != "token-1" || reqs[1].Token != "token-2" {
		t.Errorf("tokens sent %q, %q: the token file must be re-read per request", reqs[0].Token, reqs[1].Token)
	}
	if second.Generation != 2 || second.Leaf.Equal(first.Leaf) || string(second.KeyPEM) == string(first.KeyPEM) {
		t.Errorf("rotation must bring a new certificate and key: gen %d", second.Generation)
	}
	if f.mgr.Current() != second {
		t.Error("Current is not the newest bundle")
	}
}

func TestRotationJitterStaysWithinTenPercent(t *testing.T) {
	f := newFixture(t, testca.Options{TTL: time.Hour}, cert.Options{Rand: randFloat})
	b := f.next()
	now := f.clock.Now()
	lo, hi := time.Hour, time.Duration(0)
	for range 500 {
		d := f.mgr.RotationDelay(b) + now.Sub(b.NotBefore())
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 24*time.Minute || hi > 36*time.Minute {
		t.Errorf("rotation points span [%v, %v], want within [24m, 36m] (50%%±10%% of 1h)", lo, hi)
	}
	if hi-lo < 6*time.Minute {
		t.Errorf("rotation points span only [%v, %v]: jitter is not spreading them", lo, hi)
	}
}

func randFloat() float64 {
	var b [1]byte
	_, _ = rand.Read(b[:])
	return float64(b[0]) / 256
}

func TestBacksOffWhileCAIsDownAndRecovers(t *testing.T) {
	f := newFixture(t, testca.Options{TTL: time.Hour}, cert.Options{BackoffInitial: time.Second, BackoffMax: 8 * time.Second})
	first := f.next()
	f.ca.FailWith(status.Error(codes.Unavailable, "CA down"))
	f.sleeping(1)
	f.clock.Step(30 * time.Minute) // rotation time: first failure

	// Retries come 1s, 2s, 4s, then 8s apart, capped at 8s.
	for i, gap := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		f.sleeping(2 + i)
		if cur := f.mgr.Current(); cur != first || !cur.ValidAt(f.clock.Now()) {
			t.Fatalf("while the CA is down the old certificate must stay current and valid")
		}
		f.clock.Step(gap)
	}
	f.sleeping(7)
	reqs := f.ca.Requests()
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		if got := reqs[i+2].Time.Sub(reqs[i+1].Time); got != want {
			t.Errorf("retry %d came %v after the previous attempt, want %v", i+1, got, want)
		}
	}

	f.ca.FailWith(nil) // the CA is back
	f.clock.Step(8 * time.Second)
	second := f.next()
	if second.Generation != 2 || !second.ValidAt(f.clock.Now()) {
		t.Fatalf("no fresh certificate after the CA returned: %v", second)
	}
	// Backoff was reset: the next attempt is the rotation, 30m on.
	f.sleeping(8)
	f.clock.Step(30*time.Minute - time.Second)
	f.sleeping(8)
}

func TestFirstCertificateRetriesUntilTokenAppears(t *testing.T) {
	f := newFixture(t, testca.Options{}, cert.Options{BackoffInitial: time.Second, BackoffMax: 4 * time.Second})
	_ = f.next()
	// A second manager whose token the kubelet has not written yet.
	tokenPath := filepath.Join(t.TempDir(), "missing-token")
	mgr, err := cert.NewManager(cert.Options{Client: f.ca, TokenPath: tokenPath, Clock: f.clock, Rand: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = mgr.Run(ctx) }()
	deadline := time.Now().Add(wait)
	for f.clock.Waiters() < 2 && time.Now().Before(deadline) { // f's timer plus mgr's backoff
		time.Sleep(time.Millisecond)
	}
	if mgr.Current() != nil {
		t.Fatal("certificate without a token")
	}
	if err := os.WriteFile(tokenPath, []byte("late-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.clock.Step(time.Second)
	wctx, wcancel := context.WithTimeout(ctx, wait)
	defer wcancel()
	if _, err := mgr.WaitReady(wctx); err != nil {
		t.Fatal(err)
	}
}

func TestVerifiesTheIssuedChain(t *testing.T) {
	other, err := testca.New(testca.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := testca.New(testca.Options{Intermediate: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		client  cert.CertificateClientFunc
		roots   cert.TrustBundleFunc
		wantErr string
	}{{
		name:   "intermediate chain to the response's root",
		client: ca.CreateCertificate,
	}, {
		name: "leaf for another key",
		client: func(ctx context.Context, req *cert.SignRequest) ([]string, error) {
			return ca.Sign(otherCSR(t), req.Token, 0)
		},
		wantErr: "does not match the requested key",
	}, {
		name: "chain to a root that did not sign it",
		client: func(ctx context.Context, req *cert.SignRequest) ([]string, error) {
			chain, err := ca.CreateCertificate(ctx, req)
			if err != nil {
				return nil, err
			}
			return append(chain[:len(chain)-1], string(other.RootsPEM())), nil
		},
		wantErr: "verify issued certificate",
	}, {
		name: "leaf only, trusted through the configured bundle",
		client: func(ctx context.Context, req *cert.SignRequest) ([]string, error) {
			chain, err := ca.CreateCertificate(ctx, req)
			return chain[:2], err
		},
		roots: cert.StaticTrustBundle(ca.Roots()...),
	}, {
		name: "leaf only, nothing configured",
		client: func(ctx context.Context, req *cert.SignRequest) ([]string, error) {
			chain, err := ca.CreateCertificate(ctx, req)
			return chain[:2], err
		},
		wantErr: "no trust anchor",
	}, {
		name: "garbage",
		client: func(context.Context, *cert.SignRequest) ([]string, error) {
			return []string{"not a certificate"}, nil
		},
		wantErr: "cert_chain[0]",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := cert.CertificateClientFunc(func(ctx context.Context, req *cert.SignRequest) ([]string, error) {
				return tc.client(ctx, req)
			})
			b, err := issueOnce(t, cert.Options{Client: client, TrustBundle: tc.roots})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(b.Certificate.Certificate) != 2 {
					t.Errorf("served chain has %d certificates, want leaf and intermediate", len(b.Certificate.Certificate))
				}
				if _, err := tls.X509KeyPair(b.CertChainPEM, b.KeyPEM); err != nil {
					t.Errorf("chain and key PEM do not pair: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// issueOnce runs a manager until its first certificate or its first error.
func issueOnce(t *testing.T, opts cert.Options) (*cert.Bundle, error) {
	t.Helper()
	errs := make(chan error, 1)
	opts.TokenPath = filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(opts.TokenPath, []byte("tok"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.Logger = newErrorCatcher(errs)
	mgr, err := cert.NewManager(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	go func() { _ = mgr.Run(ctx) }()
	select {
	case <-mgr.Ready():
		return mgr.Current(), nil
	case err := <-errs:
		return nil, err
	case <-ctx.Done():
		t.Fatal("neither a certificate nor an error")
		return nil, nil
	}
}

func otherCSR(t *testing.T) string {
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

func TestTrustsEveryRootDuringRootRotation(t *testing.T) {
	f := newFixture(t, testca.Options{TTL: time.Hour}, cert.Options{})
	first := f.next()
	if err := f.ca.RotateRoot(); err != nil {
		t.Fatal(err)
	}
	// The mesh's root bundle now lists the new and the old root; a rotated
	// agent must trust both so peers not yet rotated still verify.
	f2 := newFixture(t, testca.Options{}, cert.Options{Client: f.ca, TrustBundle: cert.StaticTrustBundle(f.ca.Roots()...)})
	b := f2.next()
	if len(b.Roots) != 2 || !b.Roots[0].Equal(f.ca.Root()) || !b.Roots[1].Equal(first.Roots[0]) {
		t.Fatalf("roots %d, want the new root then the old one", len(b.Roots))
	}
	parsed, err := cert.ParsePEMCertificates(b.RootsPEM)
	if err != nil || len(parsed) != 2 {
		t.Fatalf("RootsPEM: %d certificates, %v", len(parsed), err)
	}
	pool := x509.NewCertPool()
	for _, r := range b.Roots {
		pool.AddCert(r)
	}
	if _, err := first.Leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: f.clock.Now()}); err != nil {
		t.Errorf("a peer certificate from the old root no longer verifies: %v", err)
	}
}

func TestBundleLogValueHasNoKey(t *testing.T) {
	f := newFixture(t, testca.Options{}, cert.Options{})
	b := f.next()
	s := b.String()
	if strings.Contains(s, "PRIVATE") || strings.Contains(s, string(b.KeyPEM)) {
		t.Errorf("bundle string leaks the key: %s", s)
	}
	if !strings.Contains(s, "spiffe://") {
		t.Errorf("bundle string lacks the identity: %s", s)
	}
}

// weftd's CA adds a new root to the published bundle and waits before
// signing with it: the agent must start trusting it without waiting for its
// own next certificate.
func TestRepublishesWhenTheRootBundleChanges(t *testing.T) {
	var mu sync.Mutex
	var configured []*x509.Certificate
	trust := func() ([]*x509.Certificate, error) {
		mu.Lock()
		defer mu.Unlock()
		return configured, nil
	}
	f := newFixture(t, testca.Options{TTL: time.Hour}, cert.Options{TrustBundle: trust, TrustCheckInterval: time.Minute})
	first := f.next()
	if len(first.Roots) != 1 {
		t.Fatalf("roots %d, want the CA's", len(first.Roots))
	}
	oldRoot := f.ca.Root()

	f.sleeping(1)
	f.clock.Step(time.Minute) // nothing changed: no publish
	f.sleeping(1)
	select {
	case b := <-f.updates:
		t.Fatalf("republished an unchanged bundle (generation %d)", b.Generation)
	default:
	}

	if err := f.ca.RotateRoot(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	configured = f.ca.Roots() // the ConfigMap now holds new and old
	mu.Unlock()
	f.clock.Step(time.Minute)
	second := f.next()
	if second.Generation != 2 || !second.Leaf.Equal(first.Leaf) || string(second.KeyPEM) != string(first.KeyPEM) {
		t.Errorf("a root change must keep the certificate and key: generation %d", second.Generation)
	}
	if len(second.Roots) != 2 || !second.Roots[0].Equal(oldRoot) || !second.Roots[1].Equal(f.ca.Root()) {
		t.Errorf("roots after the change: %d, want the issuing root and the new one", len(second.Roots))
	}
	if n := len(f.ca.Requests()); n != 1 {
		t.Errorf("%d CA requests; a root change needs none", n)
	}
}
