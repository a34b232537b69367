package v1

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

func TestAddToSchemeRegistersEveryKind(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"VirtualService", "DestinationRule", "ServiceEntry", "WorkloadEntry", "Sidecar", "Gateway"} {
		for _, k := range []string{kind, kind + "List"} {
			if !s.Recognizes(SchemeGroupVersion.WithKind(k)) {
				t.Errorf("scheme does not recognize %s", SchemeGroupVersion.WithKind(k))
			}
		}
	}
	obj, err := s.New(SchemeGroupVersion.WithKind("VirtualService"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := obj.(*VirtualService); !ok {
		t.Errorf("scheme built %T for VirtualService", obj)
	}
}
