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
	for _, kind := range []string{"PeerAuthentication", "AuthorizationPolicy", "RequestAuthentication"} {
		for _, k := range []string{kind, kind + "List"} {
			if !s.Recognizes(SchemeGroupVersion.WithKind(k)) {
				t.Errorf("scheme does not recognize %s", SchemeGroupVersion.WithKind(k))
			}
		}
	}
}
