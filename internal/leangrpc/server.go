package leangrpc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/peer"
)

// Options configure a Server; zero fields take the defaults given.
type Options struct {
	// TLS serves HTTP/2 over TLS with this config ("h2" is added to its
	// NextProtos); nil serves cleartext HTTP/2 with prior knowledge.
	TLS *tls.Config
	// Codec encodes messages; default gRPC's proto codec.
	Codec encoding.CodecV2
	// MaxConcurrentStreams bounds the calls running on one connection;
	// default 100.
	MaxConcurrentStreams uint32
	// MaxRecvMsgSize bounds a request message; default 4 MiB (gRPC's).
	MaxRecvMsgSize int
	// KeepaliveTime: a connection silent this long is pinged, and closed
	// when KeepaliveTimeout passes without an answer; defaults 2 h, 20 s.
	KeepaliveTime    time.Duration
	KeepaliveTimeout time.Duration
	// MinPingInterval: a client pinging more often, with no response data
	// in between, is sent GOAWAY after three such pings; default 5 min.
	MinPingInterval time.Duration
	// HandshakeTimeout bounds the TLS handshake and the client preface;
	// default 10 s.
	HandshakeTimeout time.Duration
	Logger           *slog.Logger
}

func (o Options) withDefaults() Options {
	o.Codec = cmpOr(o.Codec, encoding.GetCodecV2(proto.Name))
	o.MaxConcurrentStreams = cmpOr(o.MaxConcurrentStreams, 100)
	o.MaxRecvMsgSize = cmpOr(o.MaxRecvMsgSize, 4<<20)
	o.KeepaliveTime = cmpOr(o.KeepaliveTime, 2*time.Hour)
	o.KeepaliveTimeout = cmpOr(o.KeepaliveTimeout, 20*time.Second)
	o.MinPingInterval = cmpOr(o.MinPingInterval, 5*time.Minute)
	o.HandshakeTimeout = cmpOr(o.HandshakeTimeout, 10*time.Second)
	o.Logger = cmpOr(o.Logger, slog.New(slog.DiscardHandler))
	if o.TLS != nil {
		o.TLS = o.TLS.Clone()
		if !slices.Contains(o.TLS.NextProtos, "h2") {
			o.TLS.NextProtos = append(o.TLS.NextProtos, "h2")
		}
	}
	return o
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Server serves registered gRPC services.
type Server struct {
	opts    Options
	methods map[string]*method // by path, "/package.Service/Method"

	mu        sync.Mutex
	listeners map[net.Listener]bool
	conns     map[*conn]bool
	stopped   bool
}

type method struct {
	impl   any
	unary  *grpc.MethodDesc
	stream *grpc.StreamDesc
	path   string
}

// eventedImpl is the method's service if it serves streams evented.
func (m *method) eventedImpl() (EventedService, bool) {
	if m == nil || m.stream == nil {
		return nil, false
	}
	es, ok := m.impl.(EventedService)
	return es, ok
}

// NewServer returns a server with no services.
func NewServer(o Options) *Server {
	return &Server{opts: o.withDefaults(), methods: map[string]*method{},
		listeners: map[net.Listener]bool{}, conns: map[*conn]bool{}}
}

// RegisterService registers a service's methods, as grpc.Server does.
func (s *Server) RegisterService(sd *grpc.ServiceDesc, impl any) {
	for i := range sd.Methods {
		p := "/" + sd.ServiceName + "/" + sd.Methods[i].MethodName
		s.methods[p] = &method{impl: impl, unary: &sd.Methods[i], path: p}
	}
	for i := range sd.Streams {
		p := "/" + sd.ServiceName + "/" + sd.Streams[i].StreamName
		s.methods[p] = &method{impl: impl, stream: &sd.Streams[i], path: p}
	}
}

// Serve accepts connections on lis until Stop; it then returns
// grpc.ErrServerStopped, as grpc.Server.Serve does.
func (s *Server) Serve(lis net.Listener) error {
	if !s.addListener(lis) {
		lis.Close()
		return grpc.ErrServerStopped
	}
	defer s.removeListener(lis)
	for {
		nc, err := lis.Accept()
		if err != nil {
			if s.isStopped() {
				return grpc.ErrServerStopped
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return fmt.Errorf("accept on %s: %w", lis.Addr(), err)
		}
		go s.serveConn(nc)
	}
}

// Stop closes the listeners and every connection; running calls see
// their contexts canceled.
func (s *Server) Stop() {
	s.mu.Lock()
	s.stopped = true
	lis, conns := s.listeners, s.conns
	s.listeners, s.conns = nil, nil
	s.mu.Unlock()
	for l := range lis {
		l.Close()
	}
	for c := range conns {
		c.goAway()
		c.close(errServerStopped)
	}
}

var (
	errServerStopped = errors.New("server stopped")
	errBadPreface    = errors.New("not an HTTP/2 client preface")
)

// lingerClose closes nc after the peer has read what was written: a close
// with unread input would reset the connection and lose it (a GOAWAY
// saying why). Bounded by a read deadline the caller sets on nc.
func lingerClose(nc net.Conn) {
	defer nc.Close()
	if cw, ok := nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(nc, 64<<10))
	}
}

func (s *Server) addListener(lis net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	s.listeners[lis] = true
	return true
}

func (s *Server) removeListener(lis net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, lis)
}

func (s *Server) isStopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}

func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	s.conns[c] = true
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// serveConn serves one connection on the goroutine Serve started; its
// frames stay small, as an idle connection's stack is them.
func (s *Server) serveConn(nc net.Conn) {
	if c := s.accept(nc); c != nil {
		c.serve()
		s.untrack(c)
	}
}

// accept runs the handshake and tracks the connection; nil if it failed.
//
//go:noinline
func (s *Server) accept(nc net.Conn) *conn {
	c, err := s.handshake(nc)
	if err != nil {
		s.opts.Logger.Debug("gRPC connection refused", "peer", nc.RemoteAddr().String(), "err", err)
		if errors.Is(err, errBadPreface) {
			// The client speaks something else: say so, as RFC 9113 §3.4
			// asks, and let it read that before the connection goes.
			_, _ = nc.Write(appendGoAway(nil, 0, http2.ErrCodeProtocol, "not an HTTP/2 client preface"))
			lingerClose(nc)
			return nil
		}
		nc.Close()
		return nil
	}
	if !s.track(c) {
		c.close(errServerStopped)
		return nil
	}
	return c
}

// handshake runs TLS, if configured, and reads the client preface.
func (s *Server) handshake(nc net.Conn) (*conn, error) {
	if err := nc.SetDeadline(time.Now().Add(s.opts.HandshakeTimeout)); err != nil {
		return nil, err
	}
	p := &peer.Peer{Addr: nc.RemoteAddr(), LocalAddr: nc.LocalAddr()}
	if s.opts.TLS != nil {
		tc := tls.Server(nc, s.opts.TLS)
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		cs := tc.ConnectionState()
		if cs.NegotiatedProtocol != "h2" {
			return nil, fmt.Errorf("TLS peer did not negotiate h2 (ALPN %q)", cs.NegotiatedProtocol)
		}
		p.AuthInfo = credentials.TLSInfo{State: cs, CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}
		nc = tc
	}
	var preface [len(clientPreface)]byte
	if _, err := io.ReadFull(nc, preface[:]); err != nil {
		return nil, fmt.Errorf("reading the HTTP/2 preface: %w", err)
	}
	if string(preface[:]) != clientPreface {
		return nil, errBadPreface
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return nil, err
	}
	return newConn(s, nc, p), nil
}

// connContext is a connection's context: its peer, canceled when it ends.
func connContext(p *peer.Peer) (context.Context, context.CancelFunc) {
	return context.WithCancel(peer.NewContext(context.Background(), p))
}
