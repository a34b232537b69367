package kube

import (
	"context"
	"log/slog"
	"maps"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// maxWatchedSecrets bounds the Secrets watched at once: each is a watch on
// the API server, started by a proxy's request for a credential.
const maxWatchedSecrets = 1024

// Secrets serves credential Secrets (a DestinationRule's credentialName)
// to weftd's SDS. A Secret is watched only once a proxy of its namespace
// asks for it, one watch per Secret (field selector metadata.name): weftd
// keeps no other Secret in memory and needs read access only to the
// namespaces whose proxies use credentials (no cluster-wide Secret list).
type Secrets struct {
	ctx      context.Context
	client   kubernetes.Interface
	log      *slog.Logger
	onChange func()

	mu      sync.Mutex
	watched map[string]*secretWatch // namespace/name
	authz   authzCache
}

// secretWatch is one watched Secret's data, nil while absent.
type secretWatch struct {
	mu   sync.RWMutex
	data map[string][]byte
}

// NewSecrets watches Secrets with client until ctx ends; onChange is
// called after a watched Secret is added, changed or deleted.
func NewSecrets(ctx context.Context, client kubernetes.Interface, log *slog.Logger, onChange func()) *Secrets {
	if log == nil {
		log = slog.Default()
	}
	return &Secrets{ctx: ctx, client: client, log: log, onChange: onChange, watched: map[string]*secretWatch{}}
}

// Secret returns namespace/name's data, starting its watch on first use:
// until the watch has listed it the Secret reads as absent, and onChange
// tells when it arrives.
func (s *Secrets) Secret(namespace, name string) (map[string][]byte, bool) {
	w := s.watch(namespace, name)
	if w == nil {
		return nil, false
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.data, w.data != nil
}

func (s *Secrets) watch(namespace, name string) *secretWatch {
	key := namespace + "/" + name
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.watched[key]; ok {
		return w
	}
	if len(s.watched) >= maxWatchedSecrets {
		s.log.Warn("not watching more credential Secrets", "secret", key, "limit", maxWatchedSecrets)
		return nil
	}
	w := &secretWatch{}
	s.watched[key] = w
	go s.run(w, namespace, name)
	return w
}

// run keeps w in step with the Secret until the source's context ends.
func (s *Secrets) run(w *secretWatch, namespace, name string) {
	// Wrapped so a client without watch-list support (the fake) lists first.
	lw := cache.ToListWatcherWithWatchListSemantics(oneSecret(s.client, namespace, name), s.client)
	set := func(obj any) {
		if sec, ok := obj.(*corev1.Secret); ok && sec.Name == name && sec.Namespace == namespace {
			w.set(maps.Clone(sec.Data))
			s.onChange()
		}
	}
	_, ctrl := cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: lw, ObjectType: &corev1.Secret{},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    set,
			UpdateFunc: func(_, obj any) { set(obj) },
			DeleteFunc: func(obj any) {
				if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
					obj = t.Obj
				}
				if sec, ok := obj.(*corev1.Secret); ok && sec.Name == name {
					w.set(nil)
					s.onChange()
				}
			},
		},
	})
	s.log.Info("watching credential Secret", "secret", namespace+"/"+name)
	ctrl.RunWithContext(s.ctx)
}

// oneSecret lists and watches the single Secret namespace/name.
func oneSecret(client kubernetes.Interface, namespace, name string) *cache.ListWatch {
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	secrets := client.CoreV1().Secrets(namespace)
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return secrets.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return secrets.Watch(ctx, o)
		},
	}
}

func (w *secretWatch) set(data map[string][]byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.data = data
}
