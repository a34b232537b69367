package server

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/weftmesh/weft/internal/leangrpc"
	"github.com/weftmesh/weft/pilot/xds"
)

// stream is one ADS stream: its proxy, once the first request named it.
// Requests are handled when the transport has one (events.Next, on a
// goroutine of the transport's); pushes run on a goroutine started per
// wake-up (one per stream at a time) and take turns with requests under
// mu. An idle proxy costs its state and its connection's reader.
type stream struct {
	srv    *Server
	ctx    context.Context
	peer   Identity // from the stream's TLS client certificate
	onWake func() error

	mu       sync.Mutex
	ps       *proxyState
	inflight inflight // responses not yet answered
	ended    bool     // the handler returned: no more pushes
	err      error    // why a push or the send deadline ended the stream

	woken   atomic.Bool // a wake-up not yet served
	pushing atomic.Bool // a push goroutine is running
}

// newStream authenticates a stream from its transport before any request.
func (s *Server) newStream(ctx context.Context) (*stream, error) {
	id, err := peerIdentity(ctx)
	if err != nil {
		return nil, err
	}
	st := &stream{srv: s, ctx: ctx, peer: id}
	st.inflight = inflight{budget: s.sends.budget, due: st.checkDue}
	return st, nil
}

// OpenEvents serves ADS streams on weftd's transport with no goroutine
// while they wait (leangrpc.EventedService): an idle proxy costs its
// state, and each request is handled on a goroutine started for it.
func (s *Server) OpenEvents(method string, ss grpc.ServerStream) (leangrpc.Events, error) {
	switch method {
	case discovery.AggregatedDiscoveryService_StreamAggregatedResources_FullMethodName:
		return s.openSotW(&grpc.GenericServerStream[discovery.DiscoveryRequest, discovery.DiscoveryResponse]{ServerStream: ss})
	case discovery.AggregatedDiscoveryService_DeltaAggregatedResources_FullMethodName:
		return s.openDelta(&grpc.GenericServerStream[discovery.DeltaDiscoveryRequest, discovery.DeltaDiscoveryResponse]{ServerStream: ss})
	}
	return nil, nil
}

// events serve one stream: Next handles a request, or how Recv failed;
// onWake runs when the proxy's configuration changed.
type events[T any] struct {
	s         *Server
	st        *stream
	recv      func() (T, error)
	onRequest func(T) error
}

func newEvents[T any](s *Server, st *stream, recv func() (T, error), onRequest func(T) error, onWake func() error) *events[T] {
	st.onWake = onWake
	return &events[T]{s: s, st: st, recv: recv, onRequest: onRequest}
}

func (e *events[T]) Next() (bool, error) {
	req, err := e.recv()
	if err := handle(e.st, req, err, e.onRequest); err != nil {
		e.st.end() // no push may start after the stream's status is sent
		return true, streamEnd(err)
	}
	return false, nil
}

func (e *events[T]) Ended() {
	e.st.end()
	e.s.closeStream(e.st)
}

// serveEvents runs a stream's events on the handler's goroutine, for a
// transport that is not evented (gRPC-Go's).
func serveEvents(ev leangrpc.Events) error {
	defer ev.Ended()
	for {
		if end, err := ev.Next(); end {
			return err
		}
	}
}

// handle takes one request, or how Recv failed; the error, if any, ends
// the stream (why a push ended it, if one did).
func handle[T any](st *stream, req T, recvErr error, onRequest func(T) error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	switch {
	case st.err != nil:
		return st.err
	case recvErr != nil:
		return recvErr
	}
	return onRequest(req)
}

// end stops the stream's pushes and gives back what its responses held.
func (st *stream) end() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ended = true
	st.inflight.releaseAll()
}

// wake asks for a push; a wake-up while one runs is served after it.
func (st *stream) wake() {
	st.woken.Store(true)
	if st.pushing.CompareAndSwap(false, true) {
		go st.pushes()
	}
}

func (st *stream) pushes() {
	for {
		for st.woken.Swap(false) {
			st.push()
		}
		st.pushing.Store(false)
		// A wake-up between the last Swap and the Store saw pushing set.
		if !st.woken.Load() || !st.pushing.CompareAndSwap(false, true) {
			return
		}
	}
}

func (st *stream) push() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended || st.err != nil {
		return
	}
	if err := st.onWake(); err != nil {
		st.fail(err)
	}
}

// fail ends the stream with err by closing its connection: a receive
// waiting on the client ends only then. Callers hold mu.
func (st *stream) fail(err error) {
	if st.err != nil || st.ctx.Err() != nil {
		return // already ending; the connection may carry a newer stream
	}
	st.err = err
	if !st.srv.conns.closePeer(st.ctx) {
		st.srv.log.Warn("xDS stream failed; it ends at the client's next request", "err", err)
	}
}

// checkDue runs when the oldest response in flight is due: a client that
// has not answered it loses its stream and connection (gRPC would hold the
// unread response until the connection closes).
func (st *stream) checkDue() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ended || st.err != nil {
		return
	}
	if !st.inflight.overdue(time.Now()) {
		st.inflight.arm()
		return
	}
	st.fail(st.srv.sends.expired(st.ctx, "client"))
}

// streamEnd maps how a stream ended to its return value: a client that
// closes its side ends the stream normally.
func streamEnd(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) || status.Code(err) == codes.Canceled {
		return nil
	}
	return err
}

// attach finds or creates the proxy for a stream's first request. The
// proxy's claims must match the stream's identity, and a node id belongs to
// the identity that holds it; a later stream of that identity with other
// metadata replaces the metadata (the proxy restarted with a new config).
func (s *Server) attach(st *stream, node *core.Node) (bool, error) {
	if st.ps != nil {
		return false, nil
	}
	p, err := xds.ParseNode(node)
	if err != nil {
		s.log.Warn("rejecting xDS stream", "err", err)
		return false, status.Error(codes.InvalidArgument, err.Error())
	}
	if err := s.authorize(p, st.peer); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ps, pushNow, err := s.claim(p, st.peer)
	if err != nil {
		return false, err
	}
	ps.addStream(st)
	st.ps = ps
	return pushNow, nil
}

// claim returns the node's proxy state for identity id, creating it or
// adopting newer metadata (pushNow: the proxy needs its config at once).
// Callers hold s.mu.
func (s *Server) claim(p *xds.Proxy, id Identity) (ps *proxyState, pushNow bool, err error) {
	ps, existed := s.proxies[p.ID]
	switch {
	case !existed:
		ps = newProxyState(p, id)
		s.proxies[p.ID] = ps
		s.metrics.connected.Inc()
		s.log.Info("proxy connected", "proxy", p.ID, "kind", p.Kind, "identity", id)
		return ps, true, nil
	case ps.identity != id:
		s.metrics.identityRejections.WithLabelValues("node_held").Inc()
		s.log.Warn("refusing xDS stream: node id held by another identity", "proxy", p.ID, "holder", ps.identity, "caller", id)
		return nil, false, errNodeHeld(p.ID, ps.identity, id)
	case ps.replaceProxy(p):
		s.log.Info("proxy metadata replaced by a newer stream", "proxy", p.ID, "kind", p.Kind)
		return ps, true, nil
	}
	return ps, false, nil
}

// closeStream detaches a stream; the proxy goes when its last stream does.
func (s *Server) closeStream(st *stream) {
	if st.ps == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := st.ps
	if ps.removeStream(st) > 0 {
		return
	}
	delete(s.proxies, ps.Proxy().ID)
	ps.held.Release() // the views only this proxy used are dropped
	ps.held = nil
	s.metrics.connected.Dec()
	s.log.Info("proxy disconnected", "proxy", ps.Proxy().ID)
}

func (ps *proxyState) addStream(st *stream) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.subscribers[st] = true
}

func (ps *proxyState) removeStream(st *stream) int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	delete(ps.subscribers, st)
	return len(ps.subscribers)
}

// publish makes snap the proxy's configuration and wakes its streams.
func (ps *proxyState) publish(snap snapshot) {
	ps.snap.Store(&snap)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for st := range ps.subscribers {
		st.wake() // a push reads the newest snapshot
	}
}

// snapshot returns the proxy's current configuration, nil before its first push.
func (ps *proxyState) current() snapshot {
	if p := ps.snap.Load(); p != nil {
		return *p
	}
	return nil
}
