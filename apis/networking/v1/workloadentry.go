package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// WorkloadEntry describes a non-Kubernetes workload (e.g. a VM) joining the mesh.
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=we,categories={istio-io,networking-istio-io}
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="Address",type=string,JSONPath=".spec.address",description="Address associated with the network endpoint."
type WorkloadEntry struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WorkloadEntrySpec `json:"spec,omitempty"`
	Status IstioStatus       `json:"status,omitempty"`
}

// WorkloadEntryList is a list of WorkloadEntries.
// +kubebuilder:object:root=true
type WorkloadEntryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WorkloadEntry `json:"items"`
}

// WorkloadEntrySpec is one endpoint: also used inline as ServiceEntry.endpoints.
type WorkloadEntrySpec struct {
	// Address is an IP, a DNS name, or a unix:// socket path.
	Address string `json:"address,omitempty"`
	// Ports maps service port names to this endpoint's port numbers.
	Ports    map[string]uint32 `json:"ports,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	Network  string            `json:"network,omitempty"`
	Locality string            `json:"locality,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4294967295
	Weight         uint32 `json:"weight,omitempty"`
	ServiceAccount string `json:"serviceAccount,omitempty"`
}
