// Package v1 holds Istio's security.istio.io API (PeerAuthentication,
// AuthorizationPolicy, RequestAuthentication) as Go types whose JSON shape
// matches Istio's.
//
// This is the hand-written source of truth; other versions are copied from it by hack/apiversions.
//
// +kubebuilder:object:generate=true
// +groupName=security.istio.io
package v1
