package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ServiceEntry adds entries (often mesh-external services) to the service registry.
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=se,categories={istio-io,networking-istio-io}
// +kubebuilder:printcolumn:name="Hosts",type=string,JSONPath=".spec.hosts",description="The hosts associated with the ServiceEntry"
// +kubebuilder:printcolumn:name="Location",type=string,JSONPath=".spec.location",description="Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)"
// +kubebuilder:printcolumn:name="Resolution",type=string,JSONPath=".spec.resolution",description="Service resolution mode for the hosts (NONE, STATIC, or DNS)"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type ServiceEntry struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ServiceEntrySpec `json:"spec,omitempty"`
	Status IstioStatus      `json:"status,omitempty"`
}

// ServiceEntryList is a list of ServiceEntries.
// +kubebuilder:object:root=true
type ServiceEntryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ServiceEntry `json:"items"`
}

// ServiceEntrySpec describes the hosts, ports and endpoints of a service.
type ServiceEntrySpec struct {
	// +required
	Hosts     []string      `json:"hosts,omitempty"`
	Addresses []string      `json:"addresses,omitempty"`
	Ports     []ServicePort `json:"ports,omitempty"`
	// +kubebuilder:validation:Enum=MESH_EXTERNAL;MESH_INTERNAL
	Location string `json:"location,omitempty"`
	// +kubebuilder:validation:Enum=NONE;STATIC;DNS;DNS_ROUND_ROBIN
	Resolution string `json:"resolution,omitempty"`
	// Endpoints are static endpoints; mutually exclusive with WorkloadSelector.
	Endpoints        []WorkloadEntrySpec `json:"endpoints,omitempty"`
	WorkloadSelector *WorkloadSelector   `json:"workloadSelector,omitempty"`
	ExportTo         []string            `json:"exportTo,omitempty"`
	SubjectAltNames  []string            `json:"subjectAltNames,omitempty"`
}

// ServicePort is a port of a ServiceEntry.
type ServicePort struct {
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Number uint32 `json:"number"`
	// Protocol is one of HTTP|HTTPS|GRPC|HTTP2|MONGO|TCP|TLS.
	Protocol string `json:"protocol,omitempty"`
	Name     string `json:"name"`
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:Minimum=0
	TargetPort uint32 `json:"targetPort,omitempty"`
}
