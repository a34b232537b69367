package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// IstioStatus is the status written back on every networking resource.
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

// Percent is a fraction in [0, 100], written as {value: 12.5}.
type Percent struct {
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Value float64 `json:"value,omitempty"`
}

// PortSelector selects a port of a service by number.
type PortSelector struct {
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Minimum=0
	Number uint32 `json:"number,omitempty"`
}

// WorkloadSelector picks workloads (pods, WorkloadEntries) by label.
type WorkloadSelector struct {
	Labels map[string]string `json:"labels,omitempty"`
}

// Destination names a service (and optionally subset and port) to send traffic to.
type Destination struct {
	// Host is a service name from the registry (short or FQDN).
	Host   string        `json:"host"`
	Subset string        `json:"subset,omitempty"`
	Port   *PortSelector `json:"port,omitempty"`
}

// StringMatch matches a string exactly, by prefix, or by RE2 regex (one of).
type StringMatch struct {
	Exact  string `json:"exact,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Regex  string `json:"regex,omitempty"`
}

// Port describes a listener port of a Gateway server.
type Port struct {
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Minimum=0
	Number uint32 `json:"number"`
	// Protocol is one of HTTP|HTTPS|GRPC|GRPC-WEB|HTTP2|MONGO|TCP|TLS.
	Protocol string `json:"protocol"`
	Name     string `json:"name,omitempty"`
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Minimum=0
	TargetPort uint32 `json:"targetPort,omitempty"`
}
