package injector

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ServerOptions configure the HTTPS admission server.
type ServerOptions struct {
	// Addr to listen on, e.g. 127.0.0.1:15017 (weftd's --webhook-addr).
	Addr string
	// GetCertificate returns the serving certificate (weftd: one from its CA
	// for weft-webhook.<ns>.svc), consulted per handshake so rotation needs
	// no restart.
	GetCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	// Inject is mounted at /inject.
	Inject http.Handler
	// Validate, if set, is mounted at /validate.
	Validate http.Handler
	Logger   *slog.Logger
}

// Server serves the admission webhooks over TLS.
type Server struct {
	opts ServerOptions
	srv  *http.Server
	ln   net.Listener
}

// NewServer listens at once, so the caller learns of a busy port (and the
// bound address of ":0") before Run.
func NewServer(o ServerOptions) (*Server, error) {
	if o.GetCertificate == nil || o.Inject == nil {
		return nil, errors.New("webhook server: GetCertificate and Inject are required")
	}
	mux := http.NewServeMux()
	mux.Handle("/inject", o.Inject)
	if o.Validate != nil {
		mux.Handle("/validate", o.Validate)
	}
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("webhook server: listen %s: %w", o.Addr, err)
	}
	srv := &http.Server{
		Handler: mux,
		// The API server's webhook timeout is at most 30 s; nothing useful
		// can happen after that.
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: o.GetCertificate},
	}
	return &Server{opts: o, srv: srv, ln: ln}, nil
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx ends, then shuts down gracefully (bounded).
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.ServeTLS(s.ln, "", "") }()
	select {
	case err := <-errc:
		return fmt.Errorf("webhook server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("webhook server shutdown: %w", err)
	}
	return ctx.Err()
}
