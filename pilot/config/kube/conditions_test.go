package kube

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
)

func TestDesiredConditions(t *testing.T) {
	vs := func(name string) *networkingv1.VirtualService {
		return &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Generation: 3}}
	}
	ef := &networkingv1alpha3.EnvoyFilter{ObjectMeta: metav1.ObjectMeta{Name: "ef", Namespace: "ns", Generation: 3}}
	objs := []config.Resource{vs("good"), vs("missing-subset"), vs("invalid"), vs("warned"), vs("rejected"), ef}
	key := func(name string) config.Key { return config.Key{Kind: "VirtualService", Namespace: "ns", Name: name} }
	errs := []*config.Error{
		{Kind: "VirtualService", Namespace: "ns", Name: "missing-subset", Field: "spec.http[0].route[0].destination.subset", Message: "no v3", Reason: config.ReasonMissingSubset},
		{Kind: "VirtualService", Namespace: "ns", Name: "invalid", Field: "spec.http[0].timeout", Message: "bad duration", Reason: config.ReasonInvalid},
	}
	diags := []mesh.Diagnostic{{Ref: mesh.Ref{Kind: "VirtualService", Namespace: "ns", Name: "warned"}, Field: "spec.tls", Reason: mesh.ReasonUnsupportedField, Message: "not supported yet"},
		// Left out for every proxy (package guard): not accepted, whatever validation said.
		{Ref: mesh.Ref{Kind: "VirtualService", Namespace: "ns", Name: "rejected"}, Field: "spec.http[0]", Reason: mesh.ReasonInvalidEnvoyConfig, Message: "Envoy refuses"}}
	got := DesiredConditions(objs, errs, diags)
	want := map[string]struct {
		status metav1.ConditionStatus
		reason string
	}{
		"good":           {metav1.ConditionTrue, "Accepted"},
		"missing-subset": {metav1.ConditionFalse, config.ReasonMissingSubset},
		"invalid":        {metav1.ConditionFalse, config.ReasonInvalid},
		"warned":         {metav1.ConditionTrue, mesh.ReasonUnsupportedField},
		"rejected":       {metav1.ConditionFalse, mesh.ReasonInvalidEnvoyConfig},
	}
	for name, w := range want {
		c := got[key(name)]
		if c.Type != ConditionAccepted || c.Status != w.status || c.Reason != w.reason || c.ObservedGeneration != 3 {
			t.Errorf("%s: got %+v, want Accepted=%s reason %s generation 3", name, c, w.status, w.reason)
		}
	}
	if c := got[config.Key{Kind: "EnvoyFilter", Namespace: "ns", Name: "ef"}]; c.Status != metav1.ConditionFalse ||
		c.Reason != ReasonNotSupported || !strings.Contains(c.Message, "not supported by weft") {
		t.Errorf("EnvoyFilter: got %+v, want Accepted=False NotSupported", c)
	}
	if msg := got[key("missing-subset")].Message; msg != "spec.http[0].route[0].destination.subset: no v3" {
		t.Errorf("message names field and problem: got %q", msg)
	}
	if conditionCurrent([]metav1.Condition{got[key("good")]}, got[key("invalid")]) {
		t.Error("a changed condition must not count as current")
	}
}
