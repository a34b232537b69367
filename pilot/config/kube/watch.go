package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/weftmesh/weft/pilot/config"
)

// servedKinds returns the kinds the API server serves, with the resource
// it serves each as. Missing mesh CRDs are reported, not fatal: weftd still
// serves services without policy.
func (s *Source) servedKinds() ([]servedKind, error) {
	var out []servedKind
	for _, k := range config.KindInfos() {
		resource, err := ServedResource(s.discovery, k)
		if err != nil {
			return nil, err
		}
		if resource == "" {
			s.log.Warn("kind not served by the API server; install the CRDs (manifests/crds) and restart weftd to use it",
				"kind", k.Name, "apiVersion", k.GVK.GroupVersion().String())
			continue
		}
		out = append(out, servedKind{KindInfo: k, gvr: k.GVK.GroupVersion().WithResource(resource)})
	}
	return out, nil
}

// servedKind is a kind with the API resource serving it.
type servedKind struct {
	config.KindInfo
	gvr schema.GroupVersionResource
}

// ServedResource returns the plural resource name serving k, or "" if none
// does; plurals come from discovery because guessing gets some wrong.
func ServedResource(disc discovery.DiscoveryInterface, k config.KindInfo) (string, error) {
	list, err := disc.ServerResourcesForGroupVersion(k.GVK.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("discovering %s: %w", k.GVK.GroupVersion(), err)
	}
	for _, r := range list.APIResources {
		if r.Kind == k.Name && !strings.Contains(r.Name, "/") {
			return r.Name, nil
		}
	}
	return "", nil
}

// watch adds an informer for one kind whose store holds typed objects:
// converting once per event keeps snapshot rebuilds cheap.
func (s *Source) watch(f dynamicinformer.DynamicSharedInformerFactory, k servedKind, changed chan<- struct{}) error {
	inf := f.ForResource(k.gvr).Informer()
	if err := inf.SetTransform(transformFor(k.KindInfo)); err != nil {
		return fmt.Errorf("%s informer: %w", k.Name, err)
	}
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { notify() },
		UpdateFunc: func(o, n any) {
			if relevantUpdate(o, n) {
				notify()
			}
		},
		DeleteFunc: func(any) { notify() },
	})
	if err != nil {
		return fmt.Errorf("%s informer: %w", k.Name, err)
	}
	s.informers[k.Name] = inf
	s.resources[k.Name] = k.gvr
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
		return Typed(k, u)
	}
}

// Typed converts an unstructured object of kind k into weft's Go type,
// without the managed fields weft never reads.
func Typed(k config.KindInfo, u *unstructured.Unstructured) (config.Resource, error) {
	out := k.New()
	if err := fromUnstructured(u, out); err != nil {
		return nil, fmt.Errorf("converting %s %s/%s: %w", k.Name, u.GetNamespace(), u.GetName(), err)
	}
	out.SetManagedFields(nil)
	return out, nil
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

// fromUnstructured fills out from u: Istio's types through their JSON form
// (their specs are proto messages), the rest field by field.
func fromUnstructured(u *unstructured.Unstructured, out config.Resource) error {
	if config.Spec(out) == nil {
		return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out)
	}
	raw, err := u.MarshalJSON()
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}
