package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Gateway configures a load balancer at the edge of the mesh.
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=gw,categories={istio-io,networking-istio-io}
type Gateway struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GatewaySpec `json:"spec,omitempty"`
	Status IstioStatus `json:"status,omitempty"`
}

// GatewayList is a list of Gateways.
// +kubebuilder:object:root=true
type GatewayList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Gateway `json:"items"`
}

// GatewaySpec lists servers and selects the gateway pods by label.
type GatewaySpec struct {
	Servers  []Server          `json:"servers,omitempty"`
	Selector map[string]string `json:"selector,omitempty"`
}

// Server is one listener (port + hosts + optional TLS) of a Gateway.
type Server struct {
	// +required
	Port *Port  `json:"port,omitempty"`
	Bind string `json:"bind,omitempty"`
	// Hosts are "namespace/dnsName" entries exposed by this server.
	// +required
	Hosts           []string           `json:"hosts,omitempty"`
	TLS             *ServerTLSSettings `json:"tls,omitempty"`
	DefaultEndpoint string             `json:"defaultEndpoint,omitempty"`
	Name            string             `json:"name,omitempty"`
}

// ServerTLSSettings is TLS termination (or passthrough) on a server.
type ServerTLSSettings struct {
	// HTTPSRedirect makes the plain-text server answer with a 301 to https.
	HTTPSRedirect bool `json:"httpsRedirect,omitempty"`
	// +kubebuilder:validation:Enum=PASSTHROUGH;SIMPLE;MUTUAL;AUTO_PASSTHROUGH;ISTIO_MUTUAL;OPTIONAL_MUTUAL
	Mode              string `json:"mode,omitempty"`
	ServerCertificate string `json:"serverCertificate,omitempty"`
	PrivateKey        string `json:"privateKey,omitempty"`
	CaCertificates    string `json:"caCertificates,omitempty"`
	CaCrl             string `json:"caCrl,omitempty"`
	// CredentialName is a Secret holding the key, cert and optionally CA.
	CredentialName        string           `json:"credentialName,omitempty"`
	CredentialNames       []string         `json:"credentialNames,omitempty"`
	TLSCertificates       []TLSCertificate `json:"tlsCertificates,omitempty"`
	SubjectAltNames       []string         `json:"subjectAltNames,omitempty"`
	VerifyCertificateSpki []string         `json:"verifyCertificateSpki,omitempty"`
	VerifyCertificateHash []string         `json:"verifyCertificateHash,omitempty"`
	MinProtocolVersion    TLSProtocol      `json:"minProtocolVersion,omitempty"`
	MaxProtocolVersion    TLSProtocol      `json:"maxProtocolVersion,omitempty"`
	CipherSuites          []string         `json:"cipherSuites,omitempty"`
}

// TLSProtocol is a TLS version bound.
// +kubebuilder:validation:Enum=TLS_AUTO;TLSV1_0;TLSV1_1;TLSV1_2;TLSV1_3
type TLSProtocol string

// TLSCertificate is one of several server certificates (e.g. RSA + ECDSA).
type TLSCertificate struct {
	ServerCertificate string `json:"serverCertificate,omitempty"`
	PrivateKey        string `json:"privateKey,omitempty"`
	CaCertificates    string `json:"caCertificates,omitempty"`
}
