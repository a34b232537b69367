package kube

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/types/known/timestamppb"
	metav1alpha1 "istio.io/api/meta/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/weftmesh/weft/pilot/config"
)

// Istio's kinds carry IstioStatus (a proto message); weft reasons about
// conditions as metav1.Condition and converts at the edge.

// istioStatus points at o's IstioStatus, or nil for kinds without one.
func istioStatus(o config.Resource) *metav1alpha1.IstioStatus {
	s, _ := config.Status(o).(*metav1alpha1.IstioStatus)
	return s
}

// conditionsOf returns o's status conditions as metav1.Conditions.
func conditionsOf(o config.Resource) []metav1.Condition {
	s := istioStatus(o)
	if s == nil {
		return nil
	}
	out := make([]metav1.Condition, 0, len(s.GetConditions()))
	for _, c := range s.GetConditions() {
		out = append(out, metav1.Condition{
			Type: c.GetType(), Status: metav1.ConditionStatus(c.GetStatus()), Reason: c.GetReason(),
			Message: c.GetMessage(), ObservedGeneration: c.GetObservedGeneration(),
			LastTransitionTime: metav1.NewTime(c.GetLastTransitionTime().AsTime()),
		})
	}
	return out
}

// setConditions replaces o's status conditions and observed generation.
func setConditions(o config.Resource, conds []metav1.Condition, gen int64) {
	s := istioStatus(o)
	if s == nil {
		return
	}
	s.Conditions = s.Conditions[:0]
	for _, c := range conds {
		s.Conditions = append(s.Conditions, &metav1alpha1.IstioCondition{
			Type: c.Type, Status: string(c.Status), Reason: c.Reason, Message: c.Message,
			ObservedGeneration: c.ObservedGeneration, LastTransitionTime: timestamppb.New(c.LastTransitionTime.Time),
		})
	}
	s.ObservedGeneration = gen
}

// toUnstructured renders a typed object for the dynamic client; Istio's
// types only have a JSON form (their specs are proto messages).
func toUnstructured(o config.Resource) (*unstructured.Unstructured, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", config.KeyOf(o), err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", config.KeyOf(o), err)
	}
	return u, nil
}
