package server

import (
	"context"
	"errors"
	"net"
	"sync"

	"google.golang.org/grpc/peer"
)

// connTracker remembers the connections of the listeners the server is
// served on, by remote address. A send blocked on a client that grants
// no window ends only when the connection closes, so a stalled stream's
// connection is closed to free it.
type connTracker struct {
	mu    sync.Mutex
	conns map[string]net.Conn
}

// Listener wraps lis so that the server can close a stalled client's
// connection. Serve the gRPC server on the returned listener.
func (s *Server) Listener(lis net.Listener) net.Listener {
	return &trackingListener{Listener: lis, t: &s.conns}
}

type trackingListener struct {
	net.Listener
	t *connTracker
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, t: l.t}
	l.t.add(tc)
	return tc, nil
}

type trackedConn struct {
	net.Conn
	t    *connTracker
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.t.remove(c) })
	return c.Conn.Close()
}

func (t *connTracker) add(c net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conns == nil {
		t.conns = map[string]net.Conn{}
	}
	t.conns[c.RemoteAddr().String()] = c
}

func (t *connTracker) remove(c net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conns[c.RemoteAddr().String()] == c {
		delete(t.conns, c.RemoteAddr().String())
	}
}

// closePeer closes the connection a stream's context came in on, if the
// server tracks it; it reports whether it did.
func (t *connTracker) closePeer(ctx context.Context) bool {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return false
	}
	t.mu.Lock()
	c := t.conns[p.Addr.String()]
	t.mu.Unlock()
	if c == nil {
		return false
	}
	return c.Close() == nil
}

// CloseWrite half-closes the connection, if it can be.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
