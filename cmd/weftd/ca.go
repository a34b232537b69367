package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"google.golang.org/grpc"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/weftmesh/weft/ca"
)

// caFlags configure the certificate authority (Kubernetes mode).
type caFlags struct {
	addr        string
	pluginDir   string
	trustDomain string
	audiences   []string
	propagation time.Duration
	sync        time.Duration
}

// sharedCA hands weftd's one CA instance to the webhook, which takes its
// serving certificate from it; a second instance would also publish
// ConfigMaps and advance rotations.
type sharedCA struct {
	ready chan struct{}
	srv   *ca.Server
}

func newSharedCA() *sharedCA { return &sharedCA{ready: make(chan struct{})} }

func (s *sharedCA) set(srv *ca.Server) { s.srv = srv; close(s.ready) }

// wait returns the CA once it runs, or ctx's error.
func (s *sharedCA) wait(ctx context.Context) (*ca.Server, error) {
	select {
	case <-s.ready:
		return s.srv, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// servingNames are the names in weftd's serving certificate: the webhook
// Service, when the webhook is on.
func servingNames(f *flags) []string {
	if webhookFlags.addr == "" {
		return nil
	}
	svc := webhookFlags.service + "." + f.namespace + ".svc"
	return []string{svc, svc + ".cluster.local"}
}

// caRunner serves IstioCertificateService over TLS until ctx ends. Callers
// authenticate with service-account tokens checked by TokenReview.
func caRunner(cfg *rest.Config, f *flags, log *slog.Logger, shared *sharedCA) func(context.Context) error {
	return func(ctx context.Context) error {
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return fmt.Errorf("ca: kubernetes client: %w", err)
		}
		srv, err := ca.New(ctx, ca.Options{
			Kube: client, Namespace: f.namespace, TrustDomain: f.ca.trustDomain,
			Audiences: f.ca.audiences, PluginCertDir: f.ca.pluginDir, Logger: log,
			ServingIPs: append(listenIPs(f.ca.addr), listenIPs(webhookFlags.addr)...), ServingDNSNames: servingNames(f),
			SyncInterval: f.ca.sync,
			Rotation:     ca.RotationOptions{PropagationDelay: f.ca.propagation},
		})
		if err != nil {
			return fmt.Errorf("ca: %w", err)
		}
		lis, err := net.Listen("tcp", f.ca.addr)
		if err != nil {
			return fmt.Errorf("ca listener: %w", err)
		}
		shared.set(srv)
		g := grpc.NewServer(srv.GRPCServerOptions()...)
		srv.Register(g)
		go srv.Run(ctx)
		go func() {
			<-ctx.Done()
			g.Stop()
		}()
		log.Info("CA serving", "addr", lis.Addr().String(), "trust_domain", f.ca.trustDomain)
		if err := g.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) && ctx.Err() == nil {
			return fmt.Errorf("ca server: %w", err)
		}
		return ctx.Err()
	}
}

// listenIPs puts a concrete listen IP into the serving certificate.
func listenIPs(addr string) []net.IP {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err == nil && ip != nil && !ip.IsUnspecified() {
		return []net.IP{ip}
	}
	return nil
}
