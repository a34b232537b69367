package kube

import (
	"context"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/weftmesh/weft/pilot/config"
)

// A Node keeps only its name and labels, so a status heartbeat leaves the
// stored object equal and triggers no rebuild; a label change does.
func TestNodeKeepsOnlyLabels(t *testing.T) {
	var kind config.KindInfo
	for _, k := range config.KindInfos() {
		if k.Name == nodeKind {
			kind = k
		}
	}
	node := func(rv, zone string) any {
		n := &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
			ObjectMeta: metav1.ObjectMeta{Name: "n1", ResourceVersion: rv, Labels: map[string]string{"topology.kubernetes.io/zone": zone}},
			Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: "True"}}}}
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(n)
		if err != nil {
			t.Fatal(err)
		}
		out, err := transformFor(kind)(&unstructured.Unstructured{Object: u})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := node("1", "a"), node("2", "a")
	if n := a.(*corev1.Node); len(n.Status.Conditions) != 0 || n.Labels["topology.kubernetes.io/zone"] != "a" {
		t.Fatalf("stored node %+v", n)
	}
	if relevantUpdate(a, b) || !snapshotOf(a).Equal(snapshotOf(b)) {
		t.Fatal("a heartbeat counts as a change")
	}
	if !relevantUpdate(a, node("3", "b")) {
		t.Fatal("a label change is ignored")
	}
}

func snapshotOf(obj any) *config.Snapshot {
	b := config.NewBuilder()
	_ = b.Add(config.Object{Resource: obj.(config.Resource)})
	return b.Finish()
}

// The source watches Nodes (a cluster-scoped core kind) and publishes their
// labels: a status heartbeat publishes nothing new, a topology label
// change publishes a snapshot with the new labels.
func TestSourcePublishesNodeLabels(t *testing.T) {
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
	node := func(zone, heartbeat string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Node",
			"metadata": map[string]any{"name": "n1", "labels": map[string]any{"topology.kubernetes.io/zone": zone}},
			"status":   map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True", "lastHeartbeatTime": heartbeat}}}}}
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{gvr: "NodeList"},
		node("a", "2026-01-01T00:00:00Z"))
	disc := &fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{Resources: []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "nodes", Kind: "Node"}}}}}}
	s := &Source{opts: Options{Coalesce: time.Millisecond}, log: slog.New(slog.DiscardHandler), dynamic: dyn, discovery: disc,
		informers: map[string]cache.SharedIndexInformer{}, resources: map[string]schema.GroupVersionResource{}, logged: map[string]bool{}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	snaps := make(chan *config.Snapshot, 10)
	go func() { _ = s.Run(ctx, func(snap *config.Snapshot) { snaps <- snap }) }()
	zoneOf := func() string {
		select {
		case snap := <-snaps:
			if len(snap.Nodes) != 1 {
				t.Fatalf("snapshot holds %d nodes, want 1", len(snap.Nodes))
			}
			return snap.Nodes[0].Labels["topology.kubernetes.io/zone"]
		case <-ctx.Done():
			t.Fatal("no snapshot")
		}
		return ""
	}
	if z := zoneOf(); z != "a" {
		t.Fatalf("first snapshot zone %q", z)
	}
	updated := make(chan struct{}, 1)
	if _, err := s.informers[nodeKind].AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(any, any) { updated <- struct{}{} }}); err != nil {
		t.Fatal(err)
	}
	update := func(n *unstructured.Unstructured) {
		if _, err := dyn.Resource(gvr).Update(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-updated:
		case <-ctx.Done():
			t.Fatal("the informer never saw the update")
		}
	}
	update(node("a", "2026-01-01T00:00:10Z"))
	s.publish(func(snap *config.Snapshot) { snaps <- snap }) // what a rebuild would make of the heartbeat
	if len(snaps) != 0 {
		t.Fatalf("a heartbeat published a snapshot (zone %q)", zoneOf())
	}
	update(node("b", "2026-01-01T00:00:20Z"))
	if z := zoneOf(); z != "b" {
		t.Fatalf("after the label change the snapshot has zone %q, want b", z)
	}
}

// Without RBAC for Nodes the source still syncs and publishes, without
// Nodes, instead of waiting for an informer that can never list them.
func TestSourceWithoutNodeAccess(t *testing.T) {
	gvr := schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{gvr: "NodeList"})
	dyn.PrependReactor("list", "nodes", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(gvr.GroupResource(), "", nil)
	})
	disc := &fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{Resources: []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "nodes", Kind: "Node"}}}}}}
	s := &Source{opts: Options{Coalesce: time.Millisecond}, log: slog.New(slog.DiscardHandler), dynamic: dyn, discovery: disc,
		informers: map[string]cache.SharedIndexInformer{}, resources: map[string]schema.GroupVersionResource{}, logged: map[string]bool{}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	published := make(chan *config.Snapshot, 1)
	go func() { _ = s.Run(ctx, func(snap *config.Snapshot) { published <- snap }) }()
	select {
	case snap := <-published:
		if len(snap.Nodes) != 0 {
			t.Fatalf("nodes %v", snap.Nodes)
		}
	case <-ctx.Done():
		t.Fatal("no snapshot published without access to Nodes")
	}
}
