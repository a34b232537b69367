package injector

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCreatePatchOps(t *testing.T) {
	before := map[string]any{"metadata": map[string]any{"name": "p", "a/b": 1, "gone": true}, "spec": "x"}
	after := map[string]any{"metadata": map[string]any{"name": "p", "a/b": 2, "new~": 3}, "status": "y"}
	ops, err := CreatePatch(before, after)
	if err != nil {
		t.Fatal(err)
	}
	want := []PatchOp{
		{Op: "replace", Path: "/metadata/a~1b", Value: float64(2)},
		{Op: "remove", Path: "/metadata/gone"},
		{Op: "add", Path: "/metadata/new~0", Value: float64(3)},
		{Op: "remove", Path: "/spec"},
		{Op: "add", Path: "/status", Value: "y"},
	}
	if len(ops) != len(want) {
		t.Fatalf("ops %+v, want %+v", ops, want)
	}
	for i := range want {
		if ops[i] != want[i] {
			t.Errorf("op %d = %+v, want %+v", i, ops[i], want[i])
		}
	}
}

func TestCanonicalNameFromGeneratedPodName(t *testing.T) {
	ctrl := func(kind, name string) []metav1.OwnerReference {
		yes := true
		return []metav1.OwnerReference{{Kind: kind, Name: name, Controller: &yes}}
	}
	for _, tc := range []struct {
		name, generateName, want string
		owners                   []metav1.OwnerReference
	}{
		{generateName: "reviews-v1-5d4f8b7c9-", owners: ctrl("ReplicaSet", "reviews-v1-5d4f8b7c9"), want: "reviews-v1"},
		{generateName: "db-migrate-", owners: ctrl("Job", "db-migrate"), want: "db-migrate"},
		{generateName: "report-29012345-", owners: ctrl("Job", "report-29012345"), want: "report"},
		{name: "web-0", owners: ctrl("StatefulSet", "web"), want: "web"},
		{generateName: "loose-", want: "loose"},
		{name: "web-0", want: "web-0"},
	} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: tc.name, GenerateName: tc.generateName, OwnerReferences: tc.owners}}
		if got := canonicalName(pod); got != tc.want {
			t.Errorf("%q/%q: %q, want %q", tc.name, tc.generateName, got, tc.want)
		}
	}
}
