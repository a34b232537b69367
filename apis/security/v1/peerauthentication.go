package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// PeerAuthentication sets the mutual-TLS mode accepted by workloads.
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=pa,categories={istio-io,security-istio-io}
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=".spec.mtls.mode",description="Defines the mTLS mode used for peer authentication."
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type PeerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PeerAuthenticationSpec `json:"spec,omitempty"`
	Status IstioStatus            `json:"status,omitempty"`
}

// PeerAuthenticationList is a list of PeerAuthentications.
// +kubebuilder:object:root=true
type PeerAuthenticationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PeerAuthentication `json:"items"`
}

// PeerAuthenticationSpec is the mTLS mode for selected workloads, optionally per port.
type PeerAuthenticationSpec struct {
	// Selector picks workloads; empty applies to the namespace (or mesh in the root namespace).
	Selector *WorkloadSelector            `json:"selector,omitempty"`
	Mtls     *PeerAuthenticationMutualTLS `json:"mtls,omitempty"`
	// PortLevelMtls overrides Mtls per port; keys are port numbers written as
	// strings ("8080"), which is how JSON/YAML object keys arrive anyway.
	PortLevelMtls map[string]PeerAuthenticationMutualTLS `json:"portLevelMtls,omitempty"`
}

// PeerAuthenticationMutualTLS is an mTLS mode.
type PeerAuthenticationMutualTLS struct {
	// +kubebuilder:validation:Enum=UNSET;DISABLE;PERMISSIVE;STRICT
	Mode string `json:"mode,omitempty"`
}
