// Package build converts mesh IR pieces into Envoy API messages. Both the
// Envoy sidecar and the proxyless gRPC generators use it; Options.Proxyless
// selects the subset of features grpc-go honours, and every feature dropped
// for that reason is reported so the caller can log why.
package build

import "github.com/weftmesh/weft/pilot/mesh"

// Options selects the flavour of output.
type Options struct {
	// Proxyless limits output to what grpc-go's xDS client accepts.
	Proxyless bool
	// ListenerPort is the service port routes are built for; it fills in
	// destinations whose port the VirtualService left unset.
	ListenerPort uint32
	// Mesh gives access to mesh-wide policy (mTLS modes, trust domain).
	Mesh *mesh.Mesh
	// NoTLS: the proxyless client has no certificate provider, so TLS
	// config would be rejected; clusters are sent without it.
	NoTLS bool
	// Locality is the proxy's, which DNS clusters' inline endpoints are
	// ranked from; nil ranks nothing.
	Locality *mesh.LocalityView
}

// Degradations collects features dropped or approximated for a proxy kind.
type Degradations []string

// Add records one degradation.
func (d *Degradations) Add(format string) { *d = append(*d, format) }
