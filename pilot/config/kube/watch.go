package kube

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/weftmesh/weft/pilot/config"
)

// servedKinds returns the kinds the API server serves. Missing mesh CRDs
// are reported, not fatal: weftd still serves services without policy.
func (s *Source) servedKinds() ([]config.KindInfo, error) {
	var out []config.KindInfo
	for _, k := range config.KindInfos() {
		ok, err := s.served(k)
		if err != nil {
			return nil, err
		}
		if !ok {
			s.log.Warn("kind not served by the API server; install the CRDs (manifests/crds) and restart weftd to use it",
				"kind", k.Name, "apiVersion", k.GVK.GroupVersion().String())
			continue
		}
		out = append(out, k)
	}
	return out, nil
}

func (s *Source) served(k config.KindInfo) (bool, error) {
	list, err := s.discovery.ServerResourcesForGroupVersion(k.GVK.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("discovering %s: %w", k.GVK.GroupVersion(), err)
	}
	for _, r := range list.APIResources {
		if r.Kind == k.Name {
			return true, nil
		}
	}
	return false, nil
}

// watch adds an informer for one kind whose store holds typed objects:
// converting once per event keeps snapshot rebuilds cheap.
func (s *Source) watch(f dynamicinformer.DynamicSharedInformerFactory, k config.KindInfo, changed chan<- struct{}) error {
	inf := f.ForResource(GVR(k)).Informer()
	if err := inf.SetTransform(typed(k)); err != nil {
		return fmt.Errorf("%s informer: %w", k.Name, err)
	}
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(any, any) { notify() },
		DeleteFunc: func(any) { notify() },
	})
	if err != nil {
		return fmt.Errorf("%s informer: %w", k.Name, err)
	}
	s.informers[k.Name] = inf
	return nil
}

// typed converts an unstructured object into the kind's Go type and drops
// managed fields, which weft never reads.
func typed(k config.KindInfo) cache.TransformFunc {
	return func(obj any) (any, error) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return obj, nil // tombstones and already-typed objects pass through
		}
		out := k.New()
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
			return nil, fmt.Errorf("converting %s %s/%s: %w", k.Name, u.GetNamespace(), u.GetName(), err)
		}
		out.SetManagedFields(nil)
		return out, nil
	}
}

func (s *Source) waitForSync(ctx context.Context) bool {
	synced := make([]cache.InformerSynced, 0, len(s.informers))
	for _, inf := range s.informers {
		synced = append(synced, inf.HasSynced)
	}
	return cache.WaitForCacheSync(ctx.Done(), synced...)
}

// loop rebuilds the snapshot after each burst of events.
func (s *Source) loop(ctx context.Context, changed <-chan struct{}, onChange func(*config.Snapshot)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.opts.Coalesce):
		}
		s.publish(onChange)
	}
}
