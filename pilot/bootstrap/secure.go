package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"google.golang.org/grpc"

	"github.com/weftmesh/weft/ca"
	"github.com/weftmesh/weft/internal/leangrpc"
	"github.com/weftmesh/weft/pilot/xds/server"
)

// SecureOptions configure the secure port (istiod's 15012): weftd's
// certificate comes from weft's CA, ADS requires a client certificate from
// the mesh roots (the stream is bound to its SPIFFE identity), and the CA
// API authenticates callers by service-account token.
type SecureOptions struct {
	Addr string
	// NewCA builds the CA once weftd runs (Kubernetes mode reads or creates
	// its root Secret).
	NewCA func(context.Context) (*ca.Server, error)
	// ServeCA registers the certificate service (Kubernetes mode only:
	// file mode has no token review).
	ServeCA bool
	// shared, if set, receives the CA for the webhook's certificate.
	shared *sharedCA
}

// serveSecure runs the CA and serves the secure port until ctx ends.
func serveSecure(ctx context.Context, o SecureOptions, xdsServer *server.Server, log *slog.Logger) error {
	authority, err := o.NewCA(ctx)
	if err != nil {
		return err
	}
	lis, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("secure listener: %w", err)
	}
	opts := xdsServerOptions(log)
	opts.TLS = authority.MutualTLSConfig()
	g := leangrpc.NewServer(opts)
	if o.ServeCA {
		authority.Register(g)
	}
	xdsServer.Register(g)
	go authority.Run(ctx)
	if o.shared != nil {
		o.shared.set(authority)
	}
	log.Info("secure port serving", "addr", lis.Addr().String(), "ca_api", o.ServeCA, "ads", "mutual TLS")
	return serveGRPC(ctx, g, xdsServer.Listener(lis))
}

// serveGRPC serves until ctx ends, then stops g.
func serveGRPC(ctx context.Context, g *leangrpc.Server, lis net.Listener) error {
	go func() {
		<-ctx.Done()
		g.Stop()
	}()
	if err := g.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) && ctx.Err() == nil {
		return fmt.Errorf("grpc server on %s: %w", lis.Addr(), err)
	}
	return ctx.Err()
}
