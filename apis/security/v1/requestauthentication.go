package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
)

// RequestAuthentication defines which JWTs a workload accepts.
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ra,categories={istio-io,security-istio-io}
type RequestAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RequestAuthenticationSpec `json:"spec,omitempty"`
	Status IstioStatus               `json:"status,omitempty"`
}

// RequestAuthenticationList is a list of RequestAuthentications.
// +kubebuilder:object:root=true
type RequestAuthenticationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RequestAuthentication `json:"items"`
}

// RequestAuthenticationSpec lists the JWT issuers accepted by selected workloads.
type RequestAuthenticationSpec struct {
	Selector   *WorkloadSelector       `json:"selector,omitempty"`
	TargetRef  *PolicyTargetReference  `json:"targetRef,omitempty"`
	TargetRefs []PolicyTargetReference `json:"targetRefs,omitempty"`
	JwtRules   []JWTRule               `json:"jwtRules,omitempty"`
}

// JWTRule describes one issuer, where to find its keys and where the token is carried.
type JWTRule struct {
	Issuer    string   `json:"issuer"`
	Audiences []string `json:"audiences,omitempty"`
	// JwksURI is fetched for keys; Jwks inlines them (JSON Web Key Set).
	JwksURI string `json:"jwksUri,omitempty"`
	Jwks    string `json:"jwks,omitempty"`
	// FromHeaders/FromParams/FromCookies default to "Authorization: Bearer" and "access_token".
	FromHeaders           []JWTHeader     `json:"fromHeaders,omitempty"`
	FromParams            []string        `json:"fromParams,omitempty"`
	FromCookies           []string        `json:"fromCookies,omitempty"`
	OutputPayloadToHeader string          `json:"outputPayloadToHeader,omitempty"`
	ForwardOriginalToken  bool            `json:"forwardOriginalToken,omitempty"`
	OutputClaimToHeaders  []ClaimToHeader `json:"outputClaimToHeaders,omitempty"`
	// Timeout bounds fetching JwksURI.
	Timeout *networkingv1.Duration `json:"timeout,omitempty"`
}

// JWTHeader is a header carrying the token, with an optional prefix such as "Bearer ".
type JWTHeader struct {
	Name   string `json:"name"`
	Prefix string `json:"prefix,omitempty"`
}

// ClaimToHeader copies a JWT claim into a request header.
type ClaimToHeader struct {
	Header string `json:"header"`
	Claim  string `json:"claim"`
}
