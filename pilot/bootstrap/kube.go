package bootstrap

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/weftmesh/weft/ca"
	"github.com/weftmesh/weft/pilot/config/kube"
	"github.com/weftmesh/weft/pilot/xds/server"
)

// statusResync repairs status writes that failed, e.g. across an API
// server restart.
const statusResync = 30 * time.Second

// kubeMode sets up the Kubernetes source, the status writer, leader
// election, and, with a secure address, the CA and the webhooks.
func kubeMode(c Config, opts *Options) error {
	cfg, err := restConfig(c.Kubeconfig)
	if err != nil {
		return err
	}
	src, err := kube.New(kube.Options{Config: cfg, Logger: opts.Logger})
	if err != nil {
		return err
	}
	writer := kube.NewStatusWriter(src, opts.Logger, c.PodName)
	opts.Source, opts.Status = src, writer
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	opts.Secrets = func(ctx context.Context, onChange func()) server.SecretSource {
		return kube.NewSecrets(ctx, client, opts.Logger, onChange)
	}
	opts.Runners = append(opts.Runners, func(ctx context.Context) error {
		writer.Run(ctx, statusResync)
		return ctx.Err()
	})
	if c.SecureAddr != "" {
		shared := newSharedCA()
		opts.Secure = &SecureOptions{Addr: c.SecureAddr, NewCA: kubeCA(cfg, c), ServeCA: true, shared: shared}
		opts.Runners = append(opts.Runners, webhookRunner(cfg, c, shared))
	}
	if !c.LeaderElect {
		writer.SetLeader(true)
		return nil
	}
	opts.Runners = append(opts.Runners, func(ctx context.Context) error {
		return kube.RunLeaderElection(ctx, kube.LeaderOptions{
			Config: cfg, Namespace: c.Namespace, Name: "weftd-leader", Identity: c.PodName,
			Logger: opts.Logger, OnChange: writer.SetLeader,
		})
	})
	return nil
}

// kubeCA builds the CA with TokenReview authentication and the root in a
// Secret of weftd's namespace.
func kubeCA(cfg *rest.Config, c Config) func(context.Context) (*ca.Server, error) {
	return func(ctx context.Context) (*ca.Server, error) {
		client, err := kubernetes.NewForConfig(ca.TokenReviewConfig(cfg))
		if err != nil {
			return nil, fmt.Errorf("ca: kubernetes client: %w", err)
		}
		return newCA(ctx, c, client)
	}
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("no --config-dir or --kubeconfig, and not in a cluster: %w", err)
		}
		return cfg, nil
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("--kubeconfig %s: %w", kubeconfig, err)
	}
	return cfg, nil
}
