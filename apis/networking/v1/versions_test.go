package v1_test

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
	networkingv1alpha3 "github.com/weftmesh/weft/apis/networking/v1alpha3"
	networkingv1beta1 "github.com/weftmesh/weft/apis/networking/v1beta1"
	securityv1 "github.com/weftmesh/weft/apis/security/v1"
	securityv1beta1 "github.com/weftmesh/weft/apis/security/v1beta1"
)

// TestEveryVersionDecodesThroughAScheme checks the generated version packages
// register under their own group version, so an informer's decoder picks the
// right Go type for each apiVersion a user may write.
func TestEveryVersionDecodesThroughAScheme(t *testing.T) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		networkingv1.AddToScheme, networkingv1beta1.AddToScheme, networkingv1alpha3.AddToScheme,
		securityv1.AddToScheme, securityv1beta1.AddToScheme,
	} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	decoder := serializer.NewCodecFactory(s).UniversalDeserializer()

	tests := []struct {
		gv   schema.GroupVersion
		kind string
		want func(runtime.Object) bool
	}{
		{networkingv1.SchemeGroupVersion, "VirtualService", func(o runtime.Object) bool { _, ok := o.(*networkingv1.VirtualService); return ok }},
		{networkingv1beta1.SchemeGroupVersion, "DestinationRule", func(o runtime.Object) bool { _, ok := o.(*networkingv1beta1.DestinationRule); return ok }},
		{networkingv1alpha3.SchemeGroupVersion, "Gateway", func(o runtime.Object) bool { _, ok := o.(*networkingv1alpha3.Gateway); return ok }},
		{securityv1.SchemeGroupVersion, "AuthorizationPolicy", func(o runtime.Object) bool { _, ok := o.(*securityv1.AuthorizationPolicy); return ok }},
		{securityv1beta1.SchemeGroupVersion, "PeerAuthentication", func(o runtime.Object) bool { _, ok := o.(*securityv1beta1.PeerAuthentication); return ok }},
	}
	for _, tt := range tests {
		doc := fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: x\n  namespace: default\n", tt.gv, tt.kind)
		obj, gvk, err := decoder.Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Errorf("%s %s: %v", tt.gv, tt.kind, err)
			continue
		}
		if *gvk != tt.gv.WithKind(tt.kind) || !tt.want(obj) {
			t.Errorf("%s %s decoded as %v %T", tt.gv, tt.kind, gvk, obj)
		}
	}
	if got := networkingv1alpha3.SchemeGroupVersion.String(); got != "networking.istio.io/v1alpha3" {
		t.Errorf("v1alpha3 group version = %s", got)
	}
	if got := securityv1beta1.SchemeGroupVersion.String(); got != "security.istio.io/v1beta1" {
		t.Errorf("security v1beta1 group version = %s", got)
	}
}
