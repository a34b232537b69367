package config

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

func vs(ns, name string, hosts ...string) *networkingv1.VirtualService {
	return &networkingv1.VirtualService{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       networking.VirtualService{Hosts: hosts},
	}
}

func build(t *testing.T, objs ...Object) *Snapshot {
	t.Helper()
	b := NewBuilder()
	for _, o := range objs {
		if err := b.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	return b.Finish()
}

func TestBuilderSortsAndRecordsOrigins(t *testing.T) {
	s := build(t,
		Object{Resource: vs("b", "x"), Origin: Origin{"1.yaml", 0, 1}},
		Object{Resource: vs("a", "z")},
		Object{Resource: vs("a", "y"), Origin: Origin{"2.yaml", 3, 9}},
		Object{Resource: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a"}}},
	)
	var got []string
	for _, v := range s.VirtualServices {
		got = append(got, v.Namespace+"/"+v.Name)
	}
	if want := []string{"a/y", "a/z", "b/x"}; !equalStrings(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if len(s.Namespaces) != 1 || s.Len() != 4 {
		t.Errorf("namespaces = %d, len = %d; want 1, 4", len(s.Namespaces), s.Len())
	}
	if o := s.Origins[Key{"VirtualService", "a", "y"}]; o != (Origin{"2.yaml", 3, 9}) {
		t.Errorf("origin = %+v", o)
	}
	if _, ok := s.Origins[Key{"VirtualService", "a", "z"}]; ok {
		t.Error("object built in code must have no origin")
	}
}

func TestBuilderDuplicateFirstWins(t *testing.T) {
	b := NewBuilder()
	if err := b.Add(Object{Resource: vs("default", "r", "first"), Origin: Origin{"a.yaml", 0, 1}}); err != nil {
		t.Fatal(err)
	}
	err := b.Add(Object{Resource: vs("default", "r", "second"), Origin: Origin{"b.yaml", 2, 7}})
	want := Error{File: "b.yaml", Doc: 2, Line: 7, Kind: "VirtualService", Namespace: "default", Name: "r",
		Message: "duplicate VirtualService default/r: already defined in a.yaml:1 (document 1)"}
	if err == nil || *err != want {
		t.Fatalf("got %#v, want %#v", err, want)
	}
	if s := b.Finish(); s.VirtualServices[0].Spec.Hosts[0] != "first" {
		t.Errorf("the first definition must win, got %v", s.VirtualServices[0].Spec.Hosts)
	}
}

func TestSnapshotEqualIgnoresOrigins(t *testing.T) {
	a := build(t, Object{Resource: vs("default", "r", "h"), Origin: Origin{"a.yaml", 0, 1}})
	b := build(t, Object{Resource: vs("default", "r", "h"), Origin: Origin{"a.yaml", 1, 20}})
	c := build(t, Object{Resource: vs("default", "r", "other")})
	if !a.Equal(b) {
		t.Error("snapshots differing only in origins must be equal")
	}
	if a.Equal(c) || a.Equal(nil) {
		t.Error("snapshots with different content must differ")
	}
	if !(*Snapshot)(nil).Equal(NewBuilder().Finish()) {
		t.Error("nil and empty snapshots must be equal")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
