package kube

import (
	"context"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/weftmesh/weft/pilot/config"
)

// nodeKind is the one kind of which weft keeps only labels: a Node's
// topology labels give the locality of its pods, and its status (updated
// every few seconds by the kubelet) is never read.
const nodeKind = "Node"

// transformFor is the informer transform of k: typed objects, and for
// Nodes nothing beyond name and labels, so status heartbeats cost no memory
// and compare equal (no resourceVersion either: a heartbeat changes it).
func transformFor(k config.KindInfo) cache.TransformFunc {
	typedFn := typed(k)
	if k.Name != nodeKind {
		return typedFn
	}
	return func(obj any) (any, error) {
		out, err := typedFn(obj)
		if n, ok := out.(*corev1.Node); ok && err == nil {
			return labelsOnly(n), nil
		}
		return out, err
	}
}

func labelsOnly(n *corev1.Node) *corev1.Node {
	return &corev1.Node{
		TypeMeta:   n.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: n.Labels, UID: n.UID},
	}
}

// unreadableNodes reports (and logs) that k is Node and weftd may not list
// Nodes, as with a ClusterRole from before weft read them: weftd then
// serves without the localities Nodes give, rather than wait forever for
// an informer that cannot sync.
func (s *Source) unreadableNodes(ctx context.Context, k servedKind) bool {
	if k.Name != nodeKind {
		return false
	}
	_, err := s.dynamic.Resource(k.gvr).List(ctx, metav1.ListOptions{Limit: 1})
	if !apierrors.IsForbidden(err) {
		return false
	}
	s.log.Warn("cannot list Nodes: pod localities will not come from their Nodes; grant list and watch on nodes (manifests/install.yaml)", "error", err)
	return true
}

// relevantUpdate reports whether an update can change the snapshot: a
// Node update that keeps its labels cannot, and is not worth a rebuild.
func relevantUpdate(oldObj, newObj any) bool {
	o, ok1 := oldObj.(*corev1.Node)
	n, ok2 := newObj.(*corev1.Node)
	return !ok1 || !ok2 || !maps.Equal(o.Labels, n.Labels)
}
