package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/weftmesh/weft/pilot/bootstrap"
	"github.com/weftmesh/weft/pilot/config/kube"
)

// statusResync repairs status writes that failed, e.g. across an API
// server restart.
const statusResync = 30 * time.Second

// kubeMode sets up the Kubernetes source, the status writer and leader
// election.
func kubeMode(f *flags, opts *bootstrap.Options) error {
	cfg, err := restConfig(f.kubeconfig)
	if err != nil {
		return err
	}
	src, err := kube.New(kube.Options{Config: cfg, Logger: opts.Logger})
	if err != nil {
		return err
	}
	writer := kube.NewStatusWriter(src, opts.Logger, f.podName)
	opts.Source, opts.Status = src, writer
	opts.Runners = append(opts.Runners, func(ctx context.Context) error {
		writer.Run(ctx, statusResync)
		return ctx.Err()
	})
	if f.ca.addr != "" {
		shared := newSharedCA()
		opts.Runners = append(opts.Runners, caRunner(cfg, f, opts.Logger, shared), webhookRunner(cfg, f, opts.Logger, shared))
	}
	if !f.leaderElect {
		writer.SetLeader(true)
		return nil
	}
	opts.Runners = append(opts.Runners, func(ctx context.Context) error {
		return kube.RunLeaderElection(ctx, kube.LeaderOptions{
			Config: cfg, Namespace: f.namespace, Name: "weftd-leader", Identity: f.podName,
			Logger: opts.Logger, OnChange: writer.SetLeader,
		})
	})
	return nil
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
