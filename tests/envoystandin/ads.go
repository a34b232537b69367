package envoystandin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Envoy is one running stand-in: an ADS stream and its SDS streams.
type Envoy struct {
	boot   *Bootstrap
	cancel context.CancelFunc
	conns  []*grpc.ClientConn
	creds  *envoyCreds
	cert   *secretWatch
	// watches are the SDS subscriptions (certificate, then roots).
	watches []*secretWatch
	stream  discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	// sentNode is set once the node went out (set_node_on_first_message_only).
	sentNode bool
	// types is the per-type subscription state, touched only by the
	// goroutine that owns the stream after Start.
	types map[string]*subscription
	done  chan struct{}

	mu      sync.Mutex
	store   map[string]map[string]proto.Message
	version map[string]string
	nacks   []NACK
	err     error // why the stream ended; nil while it runs
	closed  bool
	changed chan struct{} // closed and replaced on every change
}

// subscription is one type's state-of-the-world subscription.
type subscription struct {
	typeURL  string
	wildcard bool
	names    []string // sorted, when not wildcard
	version  string   // last accepted
	nonce    string   // of the last response
}

// StartFromFile reads the bootstrap at path and starts a stand-in from it.
func StartFromFile(ctx context.Context, path string) (*Envoy, error) {
	b, err := ReadBootstrap(path)
	if err != nil {
		return nil, err
	}
	return Start(ctx, b)
}

// Start fetches the SDS secrets the bootstrap names (when the ADS cluster
// uses TLS), dials the ADS cluster, opens the ADS stream and sends the CDS
// and LDS wildcard requests. ctx bounds only this setup; the streams run
// until Close. A TLS or connection failure is returned here; a refusal by
// the server (a status on the stream) is reported by Err and WaitFor.
func Start(ctx context.Context, b *Bootstrap) (*Envoy, error) {
	runCtx, cancel := context.WithCancel(context.Background())
	e := &Envoy{
		boot: b, cancel: cancel, done: make(chan struct{}), changed: make(chan struct{}),
		types:   map[string]*subscription{},
		store:   map[string]map[string]proto.Message{},
		version: map[string]string{},
	}
	if err := e.start(ctx, runCtx); err != nil {
		e.shutdown()
		return nil, err
	}
	go e.recvLoop()
	return e, nil
}

func (e *Envoy) start(ctx, runCtx context.Context) error {
	creds, err := e.transportCreds(ctx, runCtx)
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(e.target(), grpc.WithTransportCredentials(creds), grpc.WithConnectParams(e.connectParams()))
	if err != nil {
		return fmt.Errorf("ADS client for %s: %w", e.boot.ADS.Addr(), err)
	}
	e.conns = append(e.conns, conn)
	// The stream lives on runCtx; ctx may still abort opening it.
	stop := context.AfterFunc(ctx, e.cancel)
	defer stop()
	if err := e.openStream(ctx, discoveryv3.NewAggregatedDiscoveryServiceClient(conn), runCtx); err != nil {
		return err
	}
	for _, typeURL := range []string{resource.ClusterType, resource.ListenerType} {
		e.types[typeURL] = &subscription{typeURL: typeURL, wildcard: true}
		if err := e.send(e.types[typeURL], nil); err != nil {
			return err
		}
	}
	return nil
}

// openStream opens the ADS stream, retrying while the server is unreachable
// (it may still be starting) as Envoy does, until ctx ends. A server that
// fails the bootstrap's verification is final: retrying cannot fix it.
func (e *Envoy) openStream(ctx context.Context, client discoveryv3.AggregatedDiscoveryServiceClient, runCtx context.Context) error {
	what := fmt.Sprintf("open ADS stream to cluster %q at %s", e.boot.ADS.Cluster, e.boot.ADS.Addr())
	for {
		e.creds.reset()
		stream, err := client.StreamAggregatedResources(runCtx)
		if err == nil {
			e.stream = stream
			e.creds.reset()
			return nil
		}
		herr := e.creds.handshakeErr()
		final := errors.Is(herr, ErrSANMismatch) || errors.Is(herr, ErrUntrustedChain) || status.Code(err) != codes.Unavailable
		err = e.explain(what, err)
		if final {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-time.After(retryInterval):
		}
	}
}

// retryInterval paces attempts to open the ADS stream; gRPC's reconnect
// backoff is capped at the same, so an attempt sees a fresh connection.
const retryInterval = 200 * time.Millisecond

// connectParams applies the cluster's connect_timeout and a short
// reconnect backoff, so a test does not wait gRPC's default minutes.
func (e *Envoy) connectParams() grpc.ConnectParams {
	p := grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: retryInterval}}
	if t := e.boot.ADS.ConnectTimeout; t > 0 {
		p.MinConnectTimeout = t
	}
	return p
}

// target resolves a name through gRPC's DNS resolver (the system's lookup,
// /etc/hosts included), and passes a STATIC IP through unchanged.
func (e *Envoy) target() string {
	if ip := e.boot.ADS.ResolvedIP; ip != "" {
		return "passthrough:///" + net.JoinHostPort(ip, strconv.FormatUint(uint64(e.boot.ADS.Port), 10))
	}
	if e.boot.ADS.ResolveByDNS {
		return "dns:///" + e.boot.ADS.Addr()
	}
	return "passthrough:///" + e.boot.ADS.Addr()
}

// transportCreds is plaintext, or TLS from the SDS secrets once both came.
func (e *Envoy) transportCreds(ctx, runCtx context.Context) (credentials.TransportCredentials, error) {
	t := e.boot.ADS.TLS
	if t == nil {
		return insecure.NewCredentials(), nil
	}
	e.cert = e.newWatch(t.Certificate, parseCertificate)
	roots := e.newWatch(t.Validation, parseRoots)
	e.watches = []*secretWatch{e.cert, roots}
	for _, w := range e.watches {
		conn, err := watchSecret(runCtx, w)
		if err != nil {
			return nil, err
		}
		e.conns = append(e.conns, conn)
	}
	for _, w := range e.watches {
		if _, err := w.wait(ctx); err != nil {
			return nil, err
		}
	}
	e.creds = &envoyCreds{cfg: clientTLS(t, e.cert, roots)}
	return e.creds, nil
}

func (e *Envoy) newWatch(src SecretSource, parse func(*tlsv3.Secret) (any, error)) *secretWatch {
	return &secretWatch{src: src, parse: parse, node: e.boot.Node, nodeOnce: src.SetNodeOnFirstMessageOnly, onChange: e.notify}
}

// explain prefixes err, or replaces a connection failure with the TLS
// handshake error behind it, which gRPC keeps only as text, so callers can
// errors.Is it against ErrSANMismatch and ErrUntrustedChain.
func (e *Envoy) explain(prefix string, err error) error {
	if status.Code(err) == codes.Unavailable {
		if herr := e.creds.handshakeErr(); herr != nil {
			return fmt.Errorf("%s: TLS handshake: %w", prefix, herr)
		}
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// send asks for sub's current names, acknowledging version and nonce; a
// non-nil nack turns it into a rejection of the last response.
func (e *Envoy) send(sub *subscription, nack error) error {
	req := &discoveryv3.DiscoveryRequest{
		TypeUrl: sub.typeURL, VersionInfo: sub.version, ResponseNonce: sub.nonce, ResourceNames: sub.names,
	}
	if !e.sentNode || !e.boot.SetNodeOnFirstMessageOnly {
		req.Node = e.boot.Node
	}
	if nack != nil {
		req.ErrorDetail = &rpcstatus.Status{Code: int32(codes.InvalidArgument), Message: nack.Error()}
	}
	err := e.stream.Send(req)
	if errors.Is(err, io.EOF) {
		// The server ended the stream; Recv reports its status to Err.
		return nil
	}
	if err != nil {
		return fmt.Errorf("send %s request: %w", sub.typeURL, err)
	}
	e.sentNode = true
	return nil
}

// recvLoop owns the stream: it applies each response, subscribes to what
// it now references, and ACKs or NACKs it.
func (e *Envoy) recvLoop() {
	defer close(e.done)
	for {
		resp, err := e.stream.Recv()
		if err != nil {
			e.fail(e.explain("ADS stream", err))
			return
		}
		if err := e.handle(resp); err != nil {
			e.fail(err)
			return
		}
	}
}

// handle applies a response, updates the dependent subscription, then
// ACKs or NACKs before waking waiters, so that what WaitFor returns has
// been acknowledged on the wire.
func (e *Envoy) handle(resp *discoveryv3.DiscoveryResponse) error {
	sub := e.types[resp.GetTypeUrl()]
	if sub == nil {
		return fmt.Errorf("ADS response of type %s, which the stand-in never asked for", resp.GetTypeUrl())
	}
	sub.nonce = resp.GetNonce()
	rejected := e.apply(sub, resp)
	if err := e.subscribe(e.dependents(sub.typeURL)); err != nil {
		return err
	}
	if rejected == nil {
		sub.version = resp.GetVersionInfo()
	}
	err := e.send(sub, rejected)
	e.record(sub, resp, rejected)
	return err
}

// apply stores the valid resources of resp. LDS and CDS responses are the
// whole set: names left out are deleted. RDS and EDS responses update only
// the names they carry, and names not subscribed are ignored, as in Envoy.
// A bad resource is rejected alone; the others are used.
func (e *Envoy) apply(sub *subscription, resp *discoveryv3.DiscoveryResponse) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.store[sub.typeURL]
	next := map[string]proto.Message{}
	if !sub.wildcard {
		for name, m := range old {
			next[name] = m
		}
	}
	var errs []error
	seen := map[string]bool{}
	for _, a := range resp.GetResources() {
		name, m, err := decodeResource(sub.typeURL, a)
		switch {
		case name != "" && seen[name]:
			err = fmt.Errorf("%s %q appears twice in one response", sub.typeURL, name)
		case !sub.wildcard && !slices.Contains(sub.names, name):
			continue
		}
		seen[name] = true
		if err != nil {
			errs = append(errs, err)
			if prev, ok := old[name]; ok && sub.wildcard {
				next[name] = prev
			}
			continue
		}
		next[name] = m
	}
	e.store[sub.typeURL] = next
	return errors.Join(errs...)
}

// dependents are the EDS names after CDS and the RDS names after LDS,
// which Envoy subscribes to before it ACKs; dep is "" for other types.
func (e *Envoy) dependents(typeURL string) (dep string, names []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch typeURL {
	case resource.ClusterType:
		return resource.EndpointType, edsNames(e.store[typeURL])
	case resource.ListenerType:
		return resource.RouteType, rdsNames(e.store[typeURL])
	}
	return "", nil
}

// subscribe sends a request when the names of a dependent type changed and
// drops what is no longer subscribed.
func (e *Envoy) subscribe(typeURL string, names []string) error {
	if typeURL == "" {
		return nil
	}
	sub := e.types[typeURL]
	if sub == nil {
		if len(names) == 0 {
			return nil
		}
		sub = &subscription{typeURL: typeURL}
		e.types[typeURL] = sub
	} else if slices.Equal(sub.names, names) {
		return nil
	}
	sub.names = names
	e.mu.Lock()
	for name := range e.store[typeURL] {
		if !slices.Contains(names, name) {
			delete(e.store[typeURL], name)
		}
	}
	e.mu.Unlock()
	return e.send(sub, nil)
}

// record notes the accepted version or the NACK and wakes waiters.
func (e *Envoy) record(sub *subscription, resp *discoveryv3.DiscoveryResponse, rejected error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if rejected != nil {
		e.nacks = append(e.nacks, NACK{TypeURL: sub.typeURL, Version: resp.GetVersionInfo(), Nonce: resp.GetNonce(), Error: rejected.Error()})
	} else {
		e.version[sub.typeURL] = sub.version
	}
	e.notifyLocked()
}

func (e *Envoy) fail(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		err = nil
	}
	e.err = err
	e.notifyLocked()
}

func (e *Envoy) notify() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.notifyLocked()
}

func (e *Envoy) notifyLocked() {
	close(e.changed)
	e.changed = make(chan struct{})
}

// Snapshot returns the resources held now.
func (e *Envoy) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return typed(e.store, e.version, e.nacks)
}

// NACKs returns every rejection sent so far; empty means Envoy would have
// accepted everything.
func (e *Envoy) NACKs() []NACK {
	e.mu.Lock()
	nacks := slices.Clone(e.nacks)
	e.mu.Unlock()
	for _, w := range e.watches {
		for _, n := range w.nackList() {
			nacks = append(nacks, NACK{TypeURL: resource.SecretType, Error: n})
		}
	}
	return nacks
}

// Err is why the ADS stream ended (a gRPC status from the server, such as
// PermissionDenied, or a transport error); nil while it runs or after Close.
func (e *Envoy) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// Done is closed when the ADS stream has ended.
func (e *Envoy) Done() <-chan struct{} { return e.done }

// ClientCertificate is the leaf of the SDS certificate the stand-in
// presents, nil over plaintext.
func (e *Envoy) ClientCertificate() *x509.Certificate {
	if e.cert == nil {
		return nil
	}
	c := e.cert.current().(*tls.Certificate)
	return c.Leaf
}

// WaitFor returns the first snapshot for which pred holds, checking after
// every ADS response and SDS secret update (so pred may also look at
// ClientCertificate). It fails when ctx ends first (saying what it holds)
// or the stream ends.
func (e *Envoy) WaitFor(ctx context.Context, pred func(Snapshot) bool) (Snapshot, error) {
	for {
		e.mu.Lock()
		s, changed, streamErr, ended := typed(e.store, e.version, e.nacks), e.changed, e.err, e.isDone()
		e.mu.Unlock()
		if pred(s) {
			return s, nil
		}
		if ended {
			return s, fmt.Errorf("ADS stream ended before the condition held: %w; holding %s", orClosed(streamErr), s.Summary())
		}
		select {
		case <-changed:
		case <-e.done:
		case <-ctx.Done():
			return s, fmt.Errorf("condition not met: %w; holding %s; NACKs %v", ctx.Err(), s.Summary(), s.NACKs)
		}
	}
}

func (e *Envoy) isDone() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

func orClosed(err error) error {
	if err == nil {
		return errors.New("stand-in closed")
	}
	return err
}

// Close ends the streams and connections and waits for the ADS loop.
func (e *Envoy) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.shutdown()
	if e.stream != nil {
		<-e.done
	}
	return nil
}

func (e *Envoy) shutdown() {
	e.cancel()
	for _, c := range e.conns {
		_ = c.Close()
	}
}
