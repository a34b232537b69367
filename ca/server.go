package ca

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/weftmesh/weft/ca/pb"
)

// Server is weft's certificate authority: Istio's IstioCertificateService
// over gRPC, backed by an Authority whose root comes from a plug-in
// directory, a Secret or memory.
type Server struct {
	pb.UnimplementedIstioCertificateServiceServer

	opts      Options
	log       *slog.Logger
	authority *Authority
	authn     Authenticator
	source    rootSource
	secrets   *secretStore // Kubernetes mode with a self-signed root
	publisher *rootPublisher
	serving   *servingCert
	syncMu    sync.Mutex
}

// New builds the CA and loads its root: in Kubernetes mode it reads the root
// Secret, creating it when absent, so it needs the API server.
func New(ctx context.Context, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Logger.With("component", "ca"), authn: opts.Authenticator}
	if opts.Kube != nil {
		s.authn = NewTokenReviewAuthenticator(opts.Kube, opts.Audiences...)
		if !opts.DisableRootConfigMaps {
			s.publisher = newRootPublisher(opts.Kube, s.log)
		}
	}
	s.source = s.newSource()
	m, err := s.source.sync(ctx)
	if err != nil {
		return nil, fmt.Errorf("ca: load root: %w", err)
	}
	aopts := AuthorityOptions{TrustDomain: opts.TrustDomain, DefaultTTL: opts.DefaultTTL, MaxTTL: opts.MaxTTL, Clock: opts.Clock}
	if s.authority, err = NewAuthority(aopts, m); err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if err := s.initServing(); err != nil {
		return nil, err
	}
	if s.publisher != nil {
		s.publisher.setBundle(m.RootsPEM())
	}
	return s, nil
}

// newSource picks the root of trust (see Options).
func (s *Server) newSource() rootSource {
	o := s.opts
	switch {
	case o.PluginCertDir != "":
		return &pluginSource{dir: o.PluginCertDir}
	case o.Kube != nil:
		s.secrets = &secretStore{client: o.Kube, namespace: o.Namespace, name: o.RootSecretName}
		src := &secretSource{store: s.secrets, now: o.Clock, onPhase: s.logPhase,
			plan: rotationPlan{opts: o.Rotation, maxTTL: s.maxTTL(), trustDomain: s.trustDomainName()}}
		if s.publisher != nil {
			src.propagated = s.publisher.propagated
		}
		return src
	default:
		return &lazyMemorySource{trustDomain: s.trustDomainName(), now: o.Clock, lifetime: o.Rotation.RootLifetime}
	}
}

func (s *Server) initServing() error {
	s.serving = &servingCert{authority: s.authority, now: s.opts.Clock,
		dnsNames: ServingNames(s.opts.Namespace, s.opts.ServingDNSNames), ips: s.opts.ServingIPs}
	if err := s.serving.refresh(); err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	return nil
}

func (s *Server) maxTTL() time.Duration {
	if s.opts.MaxTTL > 0 {
		return s.opts.MaxTTL
	}
	return DefaultMaxTTL
}

func (s *Server) trustDomainName() string {
	if s.opts.TrustDomain != "" {
		return s.opts.TrustDomain
	}
	return DefaultTrustDomain
}

func (s *Server) logPhase(from, to *RootState) {
	s.log.Info("root rotation advanced", "from", from.Phase, "to", to.Phase,
		"signingRootExpires", to.Current.Cert.NotAfter, "trustedRoots", len(to.Bundle()))
}

// Register adds the certificate service to g (e.g. weftd's 15012 server).
func (s *Server) Register(g grpc.ServiceRegistrar) {
	pb.RegisterIstioCertificateServiceServer(g, s)
}

// GRPCServerOptions serve the CA on a gRPC-Go server with TLS as weftd's
// secure port has it (MutualTLSConfig: the CA's serving certificate,
// client certificates verified when given). weftd itself serves the port
// with internal/leangrpc and MutualTLSConfig, and so do the CA's tests.
func (s *Server) GRPCServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.Creds(credentials.NewTLS(s.MutualTLSConfig()))}
}

// ServingCertificate is weftd's current TLS certificate, signed by this CA
// for weftd.<ns>.svc, istiod.<ns>.svc and Options.ServingDNSNames/IPs.
func (s *Server) ServingCertificate() *tls.Certificate { return s.serving.get() }

// RootBundle is the PEM trust bundle (one root, or two during a rotation).
func (s *Server) RootBundle() []byte { return s.authority.Material().RootsPEM() }

// Authority exposes the signer (for in-process callers such as weftd's own
// xDS TLS, and for tests).
func (s *Server) Authority() *Authority { return s.authority }
