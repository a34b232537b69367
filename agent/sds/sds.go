// Package sds serves the workload certificate and the root bundle to Envoy
// over the Secret Discovery Service on a Unix socket, as Istio's agent does:
// secret "default" (tls_certificate: chain and key) and "ROOTCA"
// (validation_context: trusted roots). Every rotation pushes both. It also
// serves the certificate files DestinationRules name, under Istio's
// file-cert:CERT~KEY and file-root:CA names (files.go).
package sds

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretv3 "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"

	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/contract"
)

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// SystemRoots are the OS CA bundles tried for file-root:system
	// (default: the usual Linux locations).
	SystemRoots []string
}

// Server is the SDS server. Update may be called before or while serving.
type Server struct {
	log   *slog.Logger
	cache *cache.LinearCache
	files *fileSecrets
}

// New creates a server with no secrets yet; requests wait for the first
// Update.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if len(opts.SystemRoots) == 0 {
		opts.SystemRoots = systemRootBundles
	}
	log := opts.Logger.With("component", "sds")
	// A prefix unique to this process: Envoy reconnecting to a restarted
	// agent sends the version it last acknowledged, and a fresh cache
	// counting from 1 again could take that as up to date.
	c := cache.NewLinearCache(resource.SecretType, cache.WithVersionPrefix(strconv.FormatInt(time.Now().UnixNano(), 36)+"-"))
	return &Server{log: log, cache: c, files: newFileSecrets(log, c, opts.SystemRoots)}
}

// Update publishes b as both secrets in one cache update.
func (s *Server) Update(b *cert.Bundle) error {
	if err := s.cache.UpdateResources(Secrets(b), nil); err != nil {
		return fmt.Errorf("update SDS secrets: %w", err)
	}
	s.log.Info("SDS secrets updated", "cert", b)
	return nil
}

// Secrets are the two SDS resources for b.
func Secrets(b *cert.Bundle) map[string]types.Resource {
	return map[string]types.Resource{
		contract.SecretWorkload: &tlsv3.Secret{Name: contract.SecretWorkload, Type: &tlsv3.Secret_TlsCertificate{
			TlsCertificate: &tlsv3.TlsCertificate{CertificateChain: inline(b.CertChainPEM), PrivateKey: inline(b.KeyPEM)},
		}},
		contract.SecretRootCA: &tlsv3.Secret{Name: contract.SecretRootCA, Type: &tlsv3.Secret_ValidationContext{
			ValidationContext: &tlsv3.CertificateValidationContext{TrustedCa: inline(b.RootsPEM)},
		}},
	}
}

func inline(data []byte) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: data}}
}

// Listen opens the Unix socket, replacing a stale one left by a previous
// run, readable and writable by the owner only: whoever can connect gets the
// private key.
func Listen(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("remove stale SDS socket: %w", err)
	}
	lis, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on SDS socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = lis.Close()
		return nil, fmt.Errorf("chmod SDS socket: %w", err)
	}
	return lis, nil
}

// Serve answers SDS on lis until ctx ends, then stops and returns nil.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	gs := grpc.NewServer()
	secretv3.RegisterSecretDiscoveryServiceServer(gs, server.NewServer(ctx, s.cache, s.callbacks()))
	errc := make(chan error, 1)
	go func() { errc <- gs.Serve(lis) }()
	filesDone := make(chan struct{})
	go func() {
		defer close(filesDone)
		if err := s.files.run(ctx); err != nil {
			s.log.Warn("certificate files will not be reloaded", "error", err)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("SDS server: %w", err)
	case <-ctx.Done():
		// Stop, not GracefulStop: SDS streams never end on their own.
		gs.Stop()
		<-errc
		<-filesDone
		return nil
	}
}

// callbacks log stream lifecycle and NACKs; they never see key material
// beyond names and versions.
func (s *Server) callbacks() server.Callbacks {
	return server.CallbackFuncs{
		StreamOpenFunc: func(_ context.Context, id int64, typeURL string) error {
			s.log.Debug("SDS stream opened", "stream", id, "type", typeURL)
			return nil
		},
		StreamClosedFunc: func(id int64, node *corev3.Node) {
			s.log.Debug("SDS stream closed", "stream", id, "node", node.GetId())
		},
		StreamRequestFunc: func(id int64, req *discoveryv3.DiscoveryRequest) error {
			s.files.request(req.GetResourceNames())
			if req.GetErrorDetail() != nil {
				s.log.Warn("Envoy rejected secrets", "stream", id, "node", req.GetNode().GetId(),
					"resources", req.GetResourceNames(), "version", req.GetVersionInfo(), "error", req.GetErrorDetail().GetMessage())
			}
			return nil
		},
	}
}
