package kube

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// StatusWriter writes Accepted conditions; only the elected leader writes,
// so replicas never fight over status.
type StatusWriter struct {
	src *Source
	log *slog.Logger
	// manager names this replica in managedFields, so one can tell which
	// replica wrote a status.
	manager string
	leader  atomic.Bool
	wake    chan struct{}

	mu    sync.Mutex
	diags []mesh.Diagnostic
}

// NewStatusWriter writes status for resources src watches, as identity.
// The source wakes it whenever its errors may have changed: a rejected new
// resource changes no accepted config, so no translation would report it.
func NewStatusWriter(src *Source, log *slog.Logger, identity string) *StatusWriter {
	w := &StatusWriter{src: src, log: log, manager: FieldManager(identity), wake: make(chan struct{}, 1)}
	poke := w.poke
	src.onPublish.Store(&poke)
	return w
}

// FieldManager is the managedFields manager of a replica's status writes.
func FieldManager(identity string) string { return "weftd@" + identity }

// Report records the latest translation diagnostics; the writer catches up
// in the background. Errors are read from the source itself, which is
// newer than any translation.
func (w *StatusWriter) Report(_ []*config.Error, diags []mesh.Diagnostic) {
	w.mu.Lock()
	w.diags = diags
	w.mu.Unlock()
	w.poke()
}

// SetLeader turns writing on or off.
func (w *StatusWriter) SetLeader(leader bool) {
	w.leader.Store(leader)
	w.poke()
}

func (w *StatusWriter) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run writes status whenever there is news, and every resync period to
// repair writes that failed (conflicts, API server restarts).
func (w *StatusWriter) Run(ctx context.Context, resync time.Duration) {
	tick := time.NewTicker(resync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-tick.C:
		}
		if w.leader.Load() {
			w.sync(ctx)
		}
	}
}

func (w *StatusWriter) sync(ctx context.Context) {
	w.mu.Lock()
	diags := w.diags
	w.mu.Unlock()
	errs := w.src.Errors()
	objs := w.src.statusObjects()
	desired := DesiredConditions(objs, errs, diags)
	for _, o := range objs {
		c := desired[config.KeyOf(o)]
		if conditionCurrent(conditionsOf(o), c) {
			continue
		}
		if err := w.write(ctx, o, c); err != nil {
			w.log.Warn("writing status; will retry", "resource", config.KeyOf(o).String(), "err", err)
		}
	}
}

// write sets the condition on a copy of o and updates the status subresource.
func (w *StatusWriter) write(ctx context.Context, o config.Resource, c metav1.Condition) error {
	o = o.DeepCopyObject().(config.Resource)
	conds := conditionsOf(o)
	meta.SetStatusCondition(&conds, c)
	setConditions(o, conds, c.ObservedGeneration)
	u, err := toUnstructured(o)
	if err != nil {
		return err
	}
	k := kindInfo(config.KeyOf(o).Kind)
	u.SetAPIVersion(k.GVK.GroupVersion().String())
	u.SetKind(k.Name)
	_, err = w.src.dynamic.Resource(w.src.resources[k.Name]).Namespace(o.GetNamespace()).UpdateStatus(ctx, u, metav1.UpdateOptions{FieldManager: w.manager})
	if err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	w.log.Info("status written", "resource", config.KeyOf(o).String(), "accepted", c.Status, "reason", c.Reason)
	return nil
}

func kindInfo(name string) config.KindInfo {
	for _, k := range config.KindInfos() {
		if k.Name == name {
			return k
		}
	}
	panic("kube: unknown kind " + name)
}

// statusObjects lists the current objects of the status kinds.
func (s *Source) statusObjects() []config.Resource {
	if !s.synced.Load() {
		return nil
	}
	var out []config.Resource
	for _, kind := range StatusKinds {
		inf, ok := s.informers[kind]
		if !ok {
			continue
		}
		for _, obj := range inf.GetStore().List() {
			if r, ok := obj.(config.Resource); ok {
				out = append(out, r)
			}
		}
	}
	return out
}
