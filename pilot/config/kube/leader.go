package kube

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// LeaderOptions configures leader election over a coordination.k8s.io Lease.
type LeaderOptions struct {
	Config    *rest.Config
	Namespace string
	Name      string // the Lease, e.g. "weftd-leader"
	Identity  string // this replica, e.g. its pod name
	Logger    *slog.Logger
	// OnChange is told when this replica gains or loses leadership.
	OnChange func(leader bool)
}

// Timings bound failover: a leader that dies without releasing the lease
// is replaced within LeaseDuration + RetryPeriod (12 s); one that stops
// cleanly releases it and is replaced within RetryPeriod.
const (
	leaseDuration = 10 * time.Second
	renewDeadline = 8 * time.Second
	retryPeriod   = 2 * time.Second
)

// RunLeaderElection campaigns until ctx ends, re-campaigning after a loss.
func RunLeaderElection(ctx context.Context, o LeaderOptions) error {
	client, err := kubernetes.NewForConfig(o.Config)
	if err != nil {
		return fmt.Errorf("leader election client: %w", err)
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: o.Namespace, Name: o.Name},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: o.Identity},
	}
	for ctx.Err() == nil {
		leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
			Lock:            lock,
			LeaseDuration:   leaseDuration,
			RenewDeadline:   renewDeadline,
			RetryPeriod:     retryPeriod,
			ReleaseOnCancel: true,
			Name:            o.Name,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(context.Context) {
					o.Logger.Info("elected leader: writing status", "lease", o.Namespace+"/"+o.Name, "identity", o.Identity)
					o.OnChange(true)
				},
				OnStoppedLeading: func() {
					o.Logger.Info("not the leader: status writes stop", "identity", o.Identity)
					o.OnChange(false)
				},
			},
		})
	}
	return nil
}
