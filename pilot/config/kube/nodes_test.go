package kube

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

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
