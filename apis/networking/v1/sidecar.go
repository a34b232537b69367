package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Sidecar narrows the ingress and egress configuration pushed to workloads' proxies.
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories={istio-io,networking-istio-io}
type Sidecar struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   SidecarSpec `json:"spec,omitempty"`
	Status IstioStatus `json:"status,omitempty"`
}

// SidecarList is a list of Sidecars.
// +kubebuilder:object:root=true
type SidecarList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Sidecar `json:"items"`
}

// SidecarSpec selects workloads (or the whole namespace) and their listeners.
type SidecarSpec struct {
	WorkloadSelector      *WorkloadSelector       `json:"workloadSelector,omitempty"`
	Ingress               []IstioIngressListener  `json:"ingress,omitempty"`
	Egress                []IstioEgressListener   `json:"egress,omitempty"`
	InboundConnectionPool *ConnectionPoolSettings `json:"inboundConnectionPool,omitempty"`
	OutboundTrafficPolicy *OutboundTrafficPolicy  `json:"outboundTrafficPolicy,omitempty"`
}

// SidecarPort is a listener port of a Sidecar.
type SidecarPort struct {
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Minimum=0
	Number   uint32 `json:"number,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	Name     string `json:"name,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	TargetPort uint32 `json:"targetPort,omitempty"`
}

// IstioIngressListener is an inbound listener forwarding to DefaultEndpoint.
type IstioIngressListener struct {
	// +required
	Port *SidecarPort `json:"port,omitempty"`
	Bind string       `json:"bind,omitempty"`
	// +kubebuilder:validation:Enum=DEFAULT;IPTABLES;NONE
	CaptureMode string `json:"captureMode,omitempty"`
	// DefaultEndpoint is e.g. "127.0.0.1:8080" or "unix:///path".
	DefaultEndpoint string                  `json:"defaultEndpoint,omitempty"`
	TLS             *ServerTLSSettings      `json:"tls,omitempty"`
	ConnectionPool  *ConnectionPoolSettings `json:"connectionPool,omitempty"`
}

// IstioEgressListener limits outbound traffic to the listed "namespace/host" entries.
type IstioEgressListener struct {
	Port *SidecarPort `json:"port,omitempty"`
	Bind string       `json:"bind,omitempty"`
	// +kubebuilder:validation:Enum=DEFAULT;IPTABLES;NONE
	CaptureMode string `json:"captureMode,omitempty"`
	// +required
	Hosts []string `json:"hosts,omitempty"`
}

// OutboundTrafficPolicy decides what happens to traffic for unknown destinations.
type OutboundTrafficPolicy struct {
	// +kubebuilder:validation:Enum=REGISTRY_ONLY;ALLOW_ANY
	Mode        string       `json:"mode,omitempty"`
	EgressProxy *Destination `json:"egressProxy,omitempty"`
}
