// Package load simulates many xDS proxies (Envoy sidecars and proxyless gRPC
// clients) against a running weftd over plaintext ADS, ACKs everything, and
// measures how long a config change takes to reach every proxy. The library
// is shared by cmd/weft-load (benchmarks) and load_test.go (correctness in
// make test).
package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Options configure a fleet of simulated proxies. Zero values get defaults.
type Options struct {
	// XDSAddr is weftd's ADS address, plaintext or (with TLS) the secure
	// port; it must be loopback.
	XDSAddr string
	// TLS, when set, connects every proxy over mutual TLS with its own
	// certificate for spiffe://cluster.local/ns/NS/sa/SA, issued by TLS
	// before the fleet starts connecting (so never counted in sync times).
	TLS     *PKI
	Proxies int
	// Kind is KindSidecar, KindGRPC or "mixed" (even indexes sidecar, odd gRPC).
	Kind       Kind
	Namespaces []string // proxies are spread across these; default ["default"]
	// GRPCListeners returns the LDS names proxyless proxy i asks for.
	GRPCListeners func(i int) []string
	// Delta makes every proxy use incremental ADS; MixTransports makes every
	// other pair of proxies do so (both kinds on both transports).
	Delta, MixTransports bool
	// Reconnect makes every proxy open a new stream, after a backoff of
	// 100ms doubling to 1s with jitter, when its stream fails or weftd
	// closes it (a weftd restart), instead of failing. Without it a stream
	// failure fails the proxy (and WaitSynced/WaitConverged) at once.
	Reconnect bool
	// ConnectParallelism bounds concurrent stream opens so a big fleet
	// does not look like a reconnect storm (default 32).
	ConnectParallelism int
	// Preconnect opens every connection (TCP, TLS, HTTP/2) before any
	// stream, so the initial sync measures ADS alone; it is an experiment
	// separating handshakes from serving, not how proxies start.
	Preconnect bool
}

// KindMixed alternates sidecar and gRPC proxies.
const KindMixed Kind = "mixed"

// Fleet is a set of running simulated proxies.
type Fleet struct {
	proxies []*proxy
	conns   []*grpc.ClientConn
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// connectAt is when the first proxy began to connect: the start of the
	// initial sync, after any set-up (such as issuing certificates).
	connectAt time.Time
	tls       bool          // every proxy connects over mutual TLS
	issuing   time.Duration // issuing the proxies' certificates, before connectAt
	// preconnecting is how long opening every connection took (Preconnect),
	// before connectAt.
	preconnecting time.Duration

	mu     sync.Mutex
	change time.Time // zero until MarkChange
}

// Start connects opts.Proxies proxies, each on its own connection (as real
// proxies are), and returns once every stream has been opened.
func Start(ctx context.Context, opts Options) (*Fleet, error) {
	if err := checkLoopback(opts.XDSAddr); err != nil {
		return nil, err
	}
	if opts.Proxies <= 0 {
		return nil, errors.New("load: need at least one proxy")
	}
	runCtx, cancel := context.WithCancel(context.Background())
	f := &Fleet{cancel: cancel, tls: opts.TLS != nil}
	for i := range opts.Proxies {
		f.proxies = append(f.proxies, newProxy(specFor(opts, i)))
	}
	parallel := opts.ConnectParallelism
	if parallel <= 0 {
		parallel = 32
	}
	issueStart := time.Now()
	creds, err := transportCredentials(opts.TLS, f.proxies)
	if err != nil {
		f.Close()
		return nil, err
	}
	f.issuing = time.Since(issueStart)
	if opts.Preconnect {
		t := time.Now()
		if err := f.preconnect(ctx, opts.XDSAddr, creds, parallel); err != nil {
			f.Close()
			return nil, err
		}
		f.preconnecting = time.Since(t)
	}
	sem := make(chan struct{}, parallel)
	f.connectAt = time.Now()
	for i, p := range f.proxies {
		conn, err := f.conn(i, opts.XDSAddr, creds[i])
		if err != nil {
			f.Close()
			return nil, err
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("load: connecting: %w", ctx.Err())
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			p.setStarted(time.Now())
			p.run(runCtx, conn, func() { <-sem })
		}()
	}
	return f, nil
}

// conn returns proxy i's connection: the one preconnect opened, or a new
// one, which connects when the proxy opens its stream.
func (f *Fleet) conn(i int, addr string, creds credentials.TransportCredentials) (*grpc.ClientConn, error) {
	if i < len(f.conns) {
		return f.conns[i], nil
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds),
		grpc.WithConnectParams(grpc.ConnectParams{MinConnectTimeout: 5 * time.Second,
			Backoff: backoff.Config{BaseDelay: minBackoff, Multiplier: 2, Jitter: 0.2, MaxDelay: maxBackoff}}))
	if err != nil {
		return nil, fmt.Errorf("load: dial %s: %w", addr, err)
	}
	f.conns = append(f.conns, conn)
	return conn, nil
}

// preconnect opens every proxy's connection (TCP, TLS, HTTP/2), parallel at
// a time, and waits until all are ready, so the sync that follows measures
// ADS alone: it separates handshake cost from serving cost.
func (f *Fleet) preconnect(ctx context.Context, addr string, creds []credentials.TransportCredentials, parallel int) error {
	for i := range f.proxies {
		if _, err := f.conn(i, addr, creds[i]); err != nil {
			return err
		}
	}
	sem := make(chan struct{}, parallel)
	errs := make(chan error, len(f.conns))
	for _, c := range f.conns {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			c.Connect()
			errs <- waitReady(ctx, c)
		}()
	}
	for range f.conns {
		if err := <-errs; err != nil {
			return fmt.Errorf("load: preconnect: %w", err)
		}
	}
	return nil
}

// waitReady waits until c is connected (it retries with backoff meanwhile).
func waitReady(ctx context.Context, c *grpc.ClientConn) error {
	for s := c.GetState(); s != connectivity.Ready; s = c.GetState() {
		if !c.WaitForStateChange(ctx, s) {
			return ctx.Err()
		}
	}
	return nil
}

// transportCredentials are each proxy's: plaintext, or mutual TLS with a
// certificate for the proxy's identity, all issued here up front.
func transportCredentials(pki *PKI, proxies []*proxy) ([]credentials.TransportCredentials, error) {
	out := make([]credentials.TransportCredentials, len(proxies))
	for i, p := range proxies {
		if pki == nil {
			out[i] = insecure.NewCredentials()
			continue
		}
		cert, err := pki.Issue(p.spec.Identity())
		if err != nil {
			return nil, fmt.Errorf("load: proxy %d: %w", i, err)
		}
		out[i] = pki.Credentials(cert, p.spec.Kind)
	}
	return out, nil
}

func specFor(opts Options, i int) proxySpec {
	nss := opts.Namespaces
	if len(nss) == 0 {
		nss = []string{"default"}
	}
	kind := opts.Kind
	if kind == KindMixed || kind == "" {
		kind = []Kind{KindSidecar, KindGRPC}[i%2]
	}
	s := proxySpec{Index: i, Kind: kind, Namespace: nss[i%len(nss)],
		Delta: opts.Delta || (opts.MixTransports && i/2%2 == 1), Reconnect: opts.Reconnect}
	if kind == KindGRPC && opts.GRPCListeners != nil {
		s.Listeners = opts.GRPCListeners(i)
	}
	if opts.TLS != nil {
		s.ServiceAccount = "load-" + string(kind) // one per kind, as one per deployment
	}
	return s
}

// checkLoopback refuses anything but a loopback address: the tool is a load
// generator and must not be pointed at someone else's control plane.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("load: xds address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("load: xds address %q is not loopback", addr)
	}
	return nil
}

// Close ends every stream and connection and waits for the proxies to stop.
func (f *Fleet) Close() {
	f.cancel()
	for _, c := range f.conns {
		_ = c.Close()
	}
	f.wg.Wait()
}

// ConnectAt is when the fleet began connecting: set-up before it (such as
// issuing certificates) is not part of the initial sync.
func (f *Fleet) ConnectAt() time.Time { return f.connectAt }

// ProxyState is one proxy's recorded state.
type ProxyState struct {
	NodeID    string
	Kind      Kind
	Types     map[string]TypeState // by type URL
	Bytes     int64
	Responses int
	Err       error
	Streams   int // streams opened (1 + reconnects)
	// Started is when the proxy began to connect (its turn among
	// Options.ConnectParallelism).
	Started time.Time
	// LastStreamErr is the last stream failure a reconnecting proxy retried.
	LastStreamErr error
}

// States returns every proxy's recorded state, in proxy order.
func (f *Fleet) States() []ProxyState {
	out := make([]ProxyState, 0, len(f.proxies))
	for _, p := range f.proxies {
		out = append(out, p.snapshot())
	}
	return out
}

// wantTypes are the types every proxy of a kind ends up subscribed to.
func wantTypes(Kind) []string { return typeOrder }

// synced reports whether a proxy has ACKed every type it subscribes to.
func synced(s ProxyState) bool {
	for _, t := range wantTypes(s.Kind) {
		if s.Types[t].Version == "" {
			return false
		}
	}
	return true
}

// WaitOptions bound a wait for the fleet to settle.
type WaitOptions struct {
	Timeout time.Duration // give up after this (default 60s)
	Quiet   time.Duration // no ACK for this long counts as settled (default 500ms)
	Poll    time.Duration // default 50ms
}

func (o WaitOptions) withDefaults() WaitOptions {
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Quiet <= 0 {
		o.Quiet = 500 * time.Millisecond
	}
	if o.Poll <= 0 {
		o.Poll = 50 * time.Millisecond
	}
	return o
}

// WaitSynced waits until every proxy has ACKed every type and nothing has
// arrived for o.Quiet. A proxy whose stream failed makes it fail at once.
func (f *Fleet) WaitSynced(ctx context.Context, o WaitOptions) error {
	return f.waitUntil(ctx, o, func(s ProxyState, _ time.Time) bool { return synced(s) })
}

// MarkChange tells the fleet a config change was written at t; convergence
// is measured from t.
func (f *Fleet) MarkChange(t time.Time) {
	f.mu.Lock()
	f.change = t
	f.mu.Unlock()
}

func (f *Fleet) changeAt() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.change
}

// WaitConverged waits until every proxy has ACKed a new version of some type
// after the change and the fleet has been quiet for o.Quiet.
func (f *Fleet) WaitConverged(ctx context.Context, o WaitOptions) error {
	t := f.changeAt()
	if t.IsZero() {
		return errors.New("load: WaitConverged before MarkChange")
	}
	return f.waitUntil(ctx, o, func(s ProxyState, _ time.Time) bool { return !convergedAt(s, t).IsZero() })
}

// convergedAt is when the proxy ACKed its last new version after t, or zero.
func convergedAt(s ProxyState, t time.Time) time.Time {
	var last time.Time
	for _, ts := range s.Types {
		if !ts.Changed.Before(t) && ts.Changed.After(last) {
			last = ts.Changed
		}
	}
	return last
}

// WaitReconnected waits until every proxy has received and ACKed every type
// on a stream opened after t (a weftd restart at t) and the fleet has been
// quiet for o.Quiet.
func (f *Fleet) WaitReconnected(ctx context.Context, o WaitOptions, t time.Time) error {
	return f.waitUntil(ctx, o, func(s ProxyState, _ time.Time) bool { return !reconnectedAt(s, t).IsZero() })
}

// reconnectedAt is when the proxy had, on a stream opened after t, ACKed the
// first response of every type it subscribes to; zero if it has not yet.
func reconnectedAt(s ProxyState, t time.Time) time.Time {
	var last time.Time
	for _, typ := range wantTypes(s.Kind) {
		ts, ok := s.Types[typ]
		if !ok || ts.StreamFirst.Before(t) {
			return time.Time{}
		}
		if ts.StreamFirst.After(last) {
			last = ts.StreamFirst
		}
	}
	return last
}

func (f *Fleet) waitUntil(ctx context.Context, o WaitOptions, done func(ProxyState, time.Time) bool) error {
	o = o.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	for {
		pending, lastAck, err := f.progress(done)
		if err != nil {
			return err
		}
		if pending == 0 && time.Since(lastAck) >= o.Quiet {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("load: %d of %d proxies not done: %w", pending, len(f.proxies), ctx.Err())
		case <-tick.C:
		}
	}
}

// progress counts proxies not yet done and finds the latest ACK in the fleet.
func (f *Fleet) progress(done func(ProxyState, time.Time) bool) (int, time.Time, error) {
	pending := 0
	var lastAck time.Time
	for _, s := range f.States() {
		if s.Err != nil {
			return 0, lastAck, fmt.Errorf("load: proxy failed: %w", s.Err)
		}
		for _, ts := range s.Types {
			if ts.At.After(lastAck) {
				lastAck = ts.At
			}
		}
		if !done(s, lastAck) {
			pending++
		}
	}
	return pending, lastAck, nil
}

// Subscribed lists the types a proxy has ACKed, in a stable order.
func Subscribed(s ProxyState) []string {
	var out []string
	for _, t := range typeOrder {
		if _, ok := s.Types[t]; ok {
			out = append(out, t)
		}
	}
	return out
}

// ShortType is a type URL's short name (CDS, EDS, LDS, RDS).
func ShortType(t string) string {
	switch t {
	case resource.ClusterType:
		return "CDS"
	case resource.EndpointType:
		return "EDS"
	case resource.ListenerType:
		return "LDS"
	case resource.RouteType:
		return "RDS"
	}
	return t
}
