// Package v1 holds Istio's networking.istio.io API (VirtualService,
// DestinationRule, ServiceEntry, WorkloadEntry, Sidecar, Gateway) as Go types
// whose JSON shape matches Istio's, so existing Istio YAML decodes unchanged.
//
// This is the hand-written source of truth; other versions are copied from it by hack/apiversions.
//
// +kubebuilder:object:generate=true
// +groupName=networking.istio.io
package v1
