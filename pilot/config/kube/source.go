// Package kube is weft's Kubernetes config source: shared informers over
// the mesh CRDs and the core kinds weft reads, converted to weft's typed
// objects once per event, and assembled into the same config snapshots the
// file source produces.
package kube

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/weftmesh/weft/pilot/config"
)

// Options configures a Source.
type Options struct {
	Config *rest.Config
	Logger *slog.Logger
	// Coalesce groups bursts of watch events into one snapshot; 0 means 20ms.
	Coalesce time.Duration
}

// Source watches a cluster. Its methods are safe for concurrent use.
type Source struct {
	opts      Options
	log       *slog.Logger
	dynamic   dynamic.Interface
	discovery discovery.DiscoveryInterface
	informers map[string]cache.SharedIndexInformer   // by kind; written only before synced is set
	resources map[string]schema.GroupVersionResource // by kind, as discovery reported
	synced    atomic.Bool

	// onPublish, if set, is called after every rebuild (status writing).
	onPublish atomic.Pointer[func()]

	mu       sync.Mutex
	accepted *config.Snapshot
	errs     []*config.Error
	logged   map[string]bool
}

// New creates a source; nothing is watched until Run.
func New(opts Options) (*Source, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Coalesce <= 0 {
		opts.Coalesce = 20 * time.Millisecond
	}
	cfg := rest.CopyConfig(opts.Config)
	cfg.Wrap(waitOutOutages(opts.Logger))
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes discovery: %w", err)
	}
	return &Source{opts: opts, log: opts.Logger, dynamic: dyn, discovery: disc,
		informers: map[string]cache.SharedIndexInformer{}, resources: map[string]schema.GroupVersionResource{}, logged: map[string]bool{}}, nil
}

// Dynamic returns the client the source uses, for writers such as status.
func (s *Source) Dynamic() dynamic.Interface { return s.dynamic }

// Errors returns the validation errors of the current cluster state.
func (s *Source) Errors() []*config.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errs
}

// Run starts the informers, waits for their caches, and calls onChange
// with the first snapshot and then with every changed one until ctx ends.
func (s *Source) Run(ctx context.Context, onChange func(*config.Snapshot)) error {
	kinds, err := s.servedKinds()
	if err != nil {
		return err
	}
	factory := dynamicinformer.NewDynamicSharedInformerFactory(s.dynamic, 0)
	changed := make(chan struct{}, 1)
	for _, k := range kinds {
		if s.unreadableNodes(ctx, k) {
			continue
		}
		if err := s.watch(factory, k, changed); err != nil {
			return err
		}
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !s.waitForSync(ctx) {
		return ctx.Err()
	}
	s.synced.Store(true)
	s.log.Info("kubernetes caches synced", "kinds", len(kinds))
	s.publish(onChange)
	s.loop(ctx, changed, onChange)
	return nil
}
