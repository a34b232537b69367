// Package simulate answers what an Envoy proxy (or a proxyless gRPC
// client) does with one request, given the xDS resources it holds:
// which listener and filter chain take the connection, which route config,
// virtual host and route take an HTTP request, what the route does
// (clusters and their split, redirect, direct response, retries, faults,
// header changes), which cluster, transport socket and endpoints carry it,
// and the failure Envoy would produce instead (no filter chain, 404 NR,
// 503 NC, 503 UH, a TLS mismatch, an RBAC denial).
//
// Each stage follows Envoy's documented semantics; the rule a stage
// follows is named in a comment where it is implemented. A piece of config
// the simulator does not model is never guessed at: Simulate returns a
// *CannotSimulateError naming the field.
package simulate
