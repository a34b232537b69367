// Package mesh is weft's intermediate representation: the config snapshot
// after services are resolved and VirtualService/DestinationRule policy is
// validated, merged and bound to concrete clusters. Per-proxy xDS generators
// read only this package's types, never the Istio API types.
package mesh
