// Package cert keeps a workload certificate issued by weft's CA (Istio's
// IstioCertificateService) current: it requests one with the pod's
// service-account token, verifies it, rotates it at about half its lifetime
// and retries with capped exponential backoff while the CA is unreachable.
package cert

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Options configure a Manager. Zero durations and fractions take the defaults
// documented on each field.
type Options struct {
	// Client signs CSRs. Required.
	Client CertificateClient
	// TokenPath is the projected service-account token. It is re-read for
	// every request because the kubelet rotates it. Required.
	TokenPath string
	// TrustBundle returns the configured roots (--ca-root). Optional: without
	// it only the root at the end of the CA response is trusted.
	TrustBundle TrustBundleFunc
	// TrustCheckInterval is how often TrustBundle is re-read between
	// certificates (default 1m). During a root rotation weftd's CA adds the
	// new root to the published bundle and waits (15m by default) for
	// workloads to trust it before signing with it, so a changed bundle is
	// republished with the current certificate rather than at the next
	// rotation.
	TrustCheckInterval time.Duration
	// SPIFFEID goes into the CSR as a URI SAN. Optional and informational.
	SPIFFEID string
	// TTL is the requested certificate lifetime; zero lets the CA decide.
	TTL time.Duration

	// RotationFraction of the lifetime after NotBefore is when a certificate
	// is renewed (default 0.5), moved by up to ±RotationJitter of the
	// lifetime (default 0.1) so a fleet issued together does not renew
	// together. A negative RotationJitter means none.
	RotationFraction float64
	RotationJitter   float64
	// BackoffInitial (default 1s) doubles per failed attempt up to BackoffMax
	// (default 30s). Failures are retried for as long as Run runs.
	BackoffInitial time.Duration
	BackoffMax     time.Duration
	// RequestTimeout bounds one CreateCertificate call (default 10s).
	RequestTimeout time.Duration

	// Clock drives rotation and backoff timers (default: real time); Rand
	// returns values in [0,1) for jitter (default math/rand/v2).
	Clock  clock.Clock
	Rand   func() float64
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Client == nil {
		return o, errors.New("cert: Options.Client is required")
	}
	if o.TokenPath == "" {
		return o, errors.New("cert: Options.TokenPath is required")
	}
	o.RotationFraction = orFloat(o.RotationFraction, 0.5)
	o.RotationJitter = max(orFloat(o.RotationJitter, 0.1), 0)
	if o.RotationFraction-o.RotationJitter <= 0 || o.RotationFraction+o.RotationJitter >= 1 {
		return o, fmt.Errorf("cert: rotation at %.2f±%.2f of the lifetime must stay inside (0, 1)", o.RotationFraction, o.RotationJitter)
	}
	o.BackoffInitial = orDuration(o.BackoffInitial, time.Second)
	o.BackoffMax = max(orDuration(o.BackoffMax, 30*time.Second), o.BackoffInitial)
	o.RequestTimeout = orDuration(o.RequestTimeout, 10*time.Second)
	o.TrustCheckInterval = orDuration(o.TrustCheckInterval, time.Minute)
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

func orFloat(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

func orDuration(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// Manager owns the current certificate. Its methods are safe for concurrent
// use; Run must be called once.
type Manager struct {
	opts Options
	log  *slog.Logger

	mu         sync.Mutex
	current    *Bundle
	generation uint64
	subs       map[int]chan *Bundle
	nextSub    int

	ready     chan struct{}
	readyOnce sync.Once
}

// NewManager checks opts; nothing is requested until Run.
func NewManager(opts Options) (*Manager, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Manager{
		opts:  opts,
		log:   opts.Logger.With("component", "cert"),
		subs:  map[int]chan *Bundle{},
		ready: make(chan struct{}),
	}, nil
}

// Current returns the newest verified bundle, or nil before the first one.
// It may have expired if the CA has been unreachable for its whole lifetime;
// check ValidAt.
func (m *Manager) Current() *Bundle {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.current
}

// Ready is closed once the first bundle is available.
func (m *Manager) Ready() <-chan struct{} { return m.ready }

// WaitReady blocks until the first bundle or until ctx ends.
func (m *Manager) WaitReady(ctx context.Context) (*Bundle, error) {
	select {
	case <-m.ready:
		return m.Current(), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the first certificate: %w", context.Cause(ctx))
	}
}

// Subscribe returns a channel that receives the current bundle at once (if
// any) and then every new one. It holds one value: a slow reader skips to the
// latest bundle rather than blocking rotation. cancel stops delivery; the
// channel is not closed.
func (m *Manager) Subscribe() (updates <-chan *Bundle, cancel func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan *Bundle, 1)
	id := m.nextSub
	m.nextSub++
	m.subs[id] = ch
	if m.current != nil {
		ch <- m.current
	}
	return ch, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.subs, id)
	}
}

// Run requests the first certificate and keeps it fresh until ctx ends, then
// returns nil. Errors are retried, never returned: an agent without a CA
// must keep serving its current certificate and try again.
func (m *Manager) Run(ctx context.Context) error {
	bo := &backoff{initial: m.opts.BackoffInitial, max: m.opts.BackoffMax, jitter: 0.2, rand: m.opts.Rand}
	next := m.opts.Clock.Now() // time of the next certificate request
	for {
		if !m.opts.Clock.Now().Before(next) {
			next = m.opts.Clock.Now().Add(m.attempt(ctx, bo))
		} else {
			m.refreshTrust()
		}
		// One timer at a time: until the next request, or the next trust
		// bundle check if that comes first.
		wait := next.Sub(m.opts.Clock.Now())
		if m.opts.TrustBundle != nil {
			wait = min(wait, m.opts.TrustCheckInterval)
		}
		if !m.sleep(ctx, wait) {
			return nil
		}
	}
}

// refreshTrust republishes the current certificate with the configured roots
// re-read, if they changed.
func (m *Manager) refreshTrust() {
	cur := m.Current()
	if cur == nil || m.opts.TrustBundle == nil {
		return
	}
	configured, err := m.opts.TrustBundle()
	if err != nil {
		m.log.Warn("re-read root bundle; keeping the current roots", "err", err)
		return
	}
	if next := cur.withConfiguredRoots(configured); next != nil {
		m.publish(next)
		m.log.Info("root bundle changed", "cert", next)
	}
}

// attempt requests one certificate and returns how long to wait before the
// next attempt: until rotation on success, the backoff delay on failure.
func (m *Manager) attempt(ctx context.Context, bo *backoff) time.Duration {
	b, err := m.issue(ctx)
	if err == nil {
		bo.reset()
		m.publish(b)
		wait := m.rotationDelay(b)
		m.log.Info("certificate issued", "cert", b, "rotate_in", wait)
		return wait
	}
	wait := bo.delay()
	if ctx.Err() != nil {
		return wait
	}
	now := m.opts.Clock.Now()
	if cur := m.Current(); cur.ValidAt(now) {
		m.log.Warn("certificate request failed; current certificate still valid", "err", err, "retry_in", wait, "expires_in", cur.NotAfter().Sub(now))
	} else {
		m.log.Error("certificate request failed and no valid certificate is held", "err", err, "retry_in", wait)
	}
	return wait
}

// issue runs one request: token, fresh key and CSR, CA call, verification.
func (m *Manager) issue(ctx context.Context) (*Bundle, error) {
	token, err := readToken(m.opts.TokenPath)
	if err != nil {
		return nil, err
	}
	roots, err := m.configuredRoots()
	if err != nil {
		return nil, err
	}
	key, csr, err := newKeyAndCSR(m.opts.SPIFFEID)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, m.opts.RequestTimeout)
	defer cancel()
	chain, err := m.opts.Client.CreateCertificate(rctx, &SignRequest{CSRPEM: csr, Validity: m.opts.TTL, Token: token})
	if err != nil {
		return nil, fmt.Errorf("CreateCertificate: %w", err)
	}
	return NewBundle(key, chain, roots, m.opts.Clock.Now())
}

func (m *Manager) configuredRoots() ([]*x509.Certificate, error) {
	if m.opts.TrustBundle == nil {
		return nil, nil
	}
	return m.opts.TrustBundle()
}

// readToken reads the service-account JWT. The token is a credential: it is
// passed to the client and never logged.
func readToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read service-account token: %w", err)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("service-account token %s is empty", path)
	}
	return token, nil
}

// publish makes b current and hands it to every subscriber.
func (m *Manager) publish(b *Bundle) {
	m.mu.Lock()
	m.generation++
	b.Generation = m.generation
	m.current = b
	for _, ch := range m.subs {
		// Replace an unread older bundle: publish is the only sender and
		// holds mu, so after the drain the send cannot block.
		select {
		case <-ch:
		default:
		}
		ch <- b
	}
	m.mu.Unlock()
	m.readyOnce.Do(func() { close(m.ready) })
}

// rotationDelay is the time from now until RotationFraction ± jitter of b's
// lifetime, at least BackoffInitial so a CA that issues certificates already
// past their renewal point cannot make the agent spin.
func (m *Manager) rotationDelay(b *Bundle) time.Duration {
	start := b.NotBefore()
	if b.Received.After(start) {
		start = b.Received // a backdated NotBefore is not usable lifetime
	}
	lifetime := b.NotAfter().Sub(start)
	frac := m.opts.RotationFraction + m.opts.RotationJitter*(2*m.opts.Rand()-1)
	at := start.Add(time.Duration(float64(lifetime) * frac))
	return max(at.Sub(m.opts.Clock.Now()), m.opts.BackoffInitial)
}

// sleep waits d on the manager's clock; false means ctx ended first.
func (m *Manager) sleep(ctx context.Context, d time.Duration) bool {
	t := m.opts.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}
