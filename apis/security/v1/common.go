package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// IstioStatus is the status written back on every security resource.
type IstioStatus struct {
	// Conditions describe the current state of the resource.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ObservedGeneration is the metadata.generation the status reflects.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// WorkloadSelector picks workloads by label; note security uses matchLabels
// (istio.type.v1beta1.WorkloadSelector), unlike networking's labels.
type WorkloadSelector struct {
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// PolicyTargetReference attaches a policy to a Gateway API resource or Service.
type PolicyTargetReference struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}
