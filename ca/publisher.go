package ca

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listerscorev1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/weftmesh/weft/contract"
)

// The ConfigMap every namespace gets with the trust bundle: Istio's name and
// key, which sidecar injection templates and istio-agent read.
const (
	RootCertConfigMap = contract.RootCertConfigMap
	RootCertKey       = contract.RootCertKey
)

// rootPublisher keeps istio-ca-root-cert in every namespace equal to the
// trust bundle: new namespaces get it, edited or deleted copies are
// restored, and a bundle change (root rotation) rewrites them all.
type rootPublisher struct {
	client kubernetes.Interface
	log    *slog.Logger
	queue  workqueue.TypedRateLimitingInterface[string]

	mu      sync.Mutex
	bundle  []byte
	started bool // listers are synced; enqueueAll may run

	namespaces listerscorev1.NamespaceLister
	configMaps listerscorev1.ConfigMapLister
}

func newRootPublisher(client kubernetes.Interface, log *slog.Logger) *rootPublisher {
	return &rootPublisher{
		client: client,
		log:    log,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "weft-ca-root-cert"}),
	}
}

// setBundle changes the bundle to publish and requeues every namespace.
func (p *rootPublisher) setBundle(bundle []byte) {
	p.mu.Lock()
	changed := !bytes.Equal(p.bundle, bundle)
	p.bundle = bytes.Clone(bundle)
	started := p.started
	p.mu.Unlock()
	if changed && started {
		p.enqueueAll()
	}
}

func (p *rootPublisher) currentBundle() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bundle
}

// run watches namespaces and the ConfigMaps named istio-ca-root-cert (only
// those: a field selector keeps every other ConfigMap out of memory) and
// reconciles until ctx ends.
func (p *rootPublisher) run(ctx context.Context) {
	defer p.queue.ShutDown()
	nsFactory := informers.NewSharedInformerFactory(p.client, 10*time.Minute)
	cmFactory := informers.NewSharedInformerFactoryWithOptions(p.client, 10*time.Minute,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", RootCertConfigMap).String()
		}))
	nsInformer := nsFactory.Core().V1().Namespaces()
	cmInformer := cmFactory.Core().V1().ConfigMaps()
	p.namespaces, p.configMaps = nsInformer.Lister(), cmInformer.Lister()
	p.addHandlers(nsInformer.Informer(), cmInformer.Informer())
	nsFactory.Start(ctx.Done())
	cmFactory.Start(ctx.Done())
	defer nsFactory.Shutdown()
	defer cmFactory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), nsInformer.Informer().HasSynced, cmInformer.Informer().HasSynced) {
		return
	}
	p.mu.Lock()
	p.started = true
	p.mu.Unlock()
	p.enqueueAll()
	go func() { <-ctx.Done(); p.queue.ShutDown() }()
	for p.processNext(ctx) {
	}
}

func (p *rootPublisher) addHandlers(ns, cm cache.SharedIndexInformer) {
	byName := func(obj any) {
		if o, err := meta(obj); err == nil {
			p.queue.Add(o.GetName())
		}
	}
	byNamespace := func(obj any) {
		if o, err := meta(obj); err == nil {
			p.queue.Add(o.GetNamespace())
		}
	}
	ns.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: byName, UpdateFunc: func(_, n any) { byName(n) }})
	cm.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: byNamespace,
		UpdateFunc: func(_, n any) { byNamespace(n) }, DeleteFunc: byNamespace})
}

// meta unwraps informer objects, including delete tombstones.
func meta(obj any) (metav1.Object, error) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	o, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("unexpected object %T", obj)
	}
	return o, nil
}

func (p *rootPublisher) enqueueAll() {
	list, err := p.namespaces.List(labelsEverything)
	if err != nil {
		p.log.Error("list namespaces for root cert publishing", "err", err)
		return
	}
	for _, ns := range list {
		p.queue.Add(ns.Name)
	}
}

func (p *rootPublisher) processNext(ctx context.Context) bool {
	ns, quit := p.queue.Get()
	if quit {
		return false
	}
	defer p.queue.Done(ns)
	if err := p.reconcile(ctx, ns); err != nil {
		p.log.Warn("publish root certificate", "namespace", ns, "err", err)
		p.queue.AddRateLimited(ns)
		return true
	}
	p.queue.Forget(ns)
	return true
}
