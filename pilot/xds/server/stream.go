package server

import (
	"context"
	"errors"
	"io"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/weftmesh/weft/pilot/xds"
)

// stream is what one ADS stream's goroutine owns: its proxy, once the
// first request named it, and the wake-up the proxy's pushes send.
type stream struct {
	ps       *proxyState
	wake     chan struct{}
	peer     Identity // from the stream's TLS client certificate
	inflight inflight // responses not yet answered
}

// newStream authenticates a stream from its transport before any request.
func (s *Server) newStream(ctx context.Context) (*stream, error) {
	id, err := peerIdentity(ctx)
	if err != nil {
		return nil, err
	}
	return &stream{wake: make(chan struct{}, 1), peer: id, inflight: inflight{budget: s.sends.budget}}, nil
}

// serveStream is a stream's loop: requests and wake-ups are handled one at
// a time on the stream's goroutine, so per-stream state needs no lock.
func serveStream[T any](s *Server, ctx context.Context, st *stream, recv func() (T, error), onRequest func(T) error, onWake func() error) error {
	defer s.closeStream(st)
	defer st.inflight.releaseAll()
	errc := make(chan error, 1)
	reqs := receive(ctx, recv, errc)
	for {
		select {
		case now := <-st.inflight.expired():
			if st.inflight.overdue(now) {
				return s.endStalled(ctx)
			}
			st.inflight.arm()
		case req, ok := <-reqs:
			if !ok {
				return streamEnd(<-errc)
			}
			if err := onRequest(req); err != nil {
				return err
			}
		case <-st.wake:
			if err := onWake(); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		case <-s.ctx.Done():
			return nil
		}
	}
}

// receive reads requests on their own goroutine (Recv blocks) and hands
// them to the stream's loop; the channel closes when the stream ends.
func receive[T any](ctx context.Context, recv func() (T, error), errc chan<- error) <-chan T {
	out := make(chan T)
	go func() {
		defer close(out)
		for {
			req, err := recv()
			if err != nil {
				errc <- err
				return
			}
			select {
			case out <- req:
			case <-ctx.Done():
				errc <- ctx.Err() // the loop reads errc once out closes
				return
			}
		}
	}()
	return out
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
		select {
		case st.wake <- struct{}{}:
		default: // already woken; it will read the newest snapshot
		}
	}
}

// snapshot returns the proxy's current configuration, nil before its first push.
func (ps *proxyState) current() snapshot {
	if p := ps.snap.Load(); p != nil {
		return *p
	}
	return nil
}

// endStalled ends a stream whose client has not answered in time, and
// closes its connection: gRPC would otherwise hold the unread response.
func (s *Server) endStalled(ctx context.Context) error {
	err := s.sends.expired(ctx, "client")
	s.conns.closePeer(ctx)
	return err
}
