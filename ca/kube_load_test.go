package ca

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"k8s.io/client-go/kubernetes"

	"github.com/weftmesh/weft/ca/pb"
)

// A rollout: 1,000 pods ask for certificates at once, each with its own
// token. Every one is issued; none is turned away as Unavailable by a
// client-side rate limit.
func TestThousandParallelCSRsAllIssued(t *testing.T) {
	env := kubeEnv(t)
	ns := env.Namespace(t)
	sa := createSA(t, env, ns, "web")
	var reviews atomic.Int64
	cfg := TokenReviewConfig(env.Config)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countReviews(rt, &reviews) })
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := newKubeCA(t, env, ns, func(o *Options) { o.Kube = client })
	const n = 1000
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = mintToken(t, env, sa, DefaultAudience, time.Now().Add(time.Hour)) // distinct: each has its own jti
	}
	csr := string(csrPEM(t, ecKey(t), ""))
	start := time.Now()
	codesSeen := issueAll(s, tokens, csr)
	took := time.Since(start)
	t.Logf("%d certificates in %v: %.0f/s (logged, not asserted; docs/performance.md has the benchmark)", n, took, n/took.Seconds())
	if codesSeen[codes.OK] != n {
		t.Fatalf("of %d parallel requests: %v, want all OK", n, codesSeen)
	}
	if got := reviews.Load(); got != n {
		t.Errorf("%d TokenReviews for %d distinct tokens, want one each", got, n)
	}
	// The same tokens again (agents retrying): answered from the cache.
	if again := issueAll(s, tokens[:100], csr); again[codes.OK] != 100 || reviews.Load() != n {
		t.Errorf("repeat of 100 tokens: %v and %d reviews in all, want 100 OK and no new review", again, reviews.Load())
	}
}

// issueAll sends one CSR per token, all at once, and counts the outcomes.
func issueAll(s *Server, tokens []string, csr string) map[codes.Code]int {
	var mu sync.Mutex
	seen := map[codes.Code]int{}
	var wg sync.WaitGroup
	for _, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(incoming(tok), time.Minute)
			defer cancel()
			_, err := s.CreateCertificate(ctx, &pb.IstioCertificateRequest{Csr: csr})
			mu.Lock()
			seen[status.Code(err)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return seen
}

type reviewCounter struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func countReviews(rt http.RoundTripper, n *atomic.Int64) http.RoundTripper {
	return reviewCounter{next: rt, n: n}
}

func (c reviewCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/tokenreviews") {
		c.n.Add(1)
	}
	return c.next.RoundTrip(r)
}

// BenchmarkRolloutCertificates issues 1,000 certificates at once, each for
// a distinct service-account token reviewed by the real API server: one op
// is one such rollout wave. certs/s is the rate a replica sustains.
func BenchmarkRolloutCertificates(b *testing.B) {
	env := kubeEnv(b)
	ns := env.Namespace(b)
	sa := createSA(b, env, ns, "web")
	client, err := kubernetes.NewForConfig(TokenReviewConfig(env.Config))
	if err != nil {
		b.Fatal(err)
	}
	s := newKubeCA(b, env, ns, func(o *Options) { o.Kube = client })
	csr := string(csrPEM(b, ecKey(b), ""))
	const wave = 1000
	minted := 0
	var issuing time.Duration
	for b.Loop() {
		b.StopTimer()
		tokens := make([]string, wave)
		for i := range tokens {
			minted++ // every minted token is distinct (jti): none is answered from the cache
			tokens[i] = mintToken(b, env, sa, DefaultAudience, time.Now().Add(time.Hour))
		}
		b.StartTimer()
		start := time.Now()
		if got := issueAll(s, tokens, csr); got[codes.OK] != wave {
			b.Fatalf("wave of %d: %v", wave, got)
		}
		issuing += time.Since(start)
	}
	b.ReportMetric(float64(minted)/issuing.Seconds(), "certs/s")
}
