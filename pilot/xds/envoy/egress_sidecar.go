package envoy

import "github.com/weftmesh/weft/pilot/mesh"

const wildcardAddress = "0.0.0.0"

// egressBind is the address of an outbound HTTP listener and whether it
// binds the port itself, as istiod reads a Sidecar egress listener:
// captureMode NONE binds bind (127.0.0.1 by default) for applications
// that call it directly; otherwise the listener serves redirected
// connections on bind, 0.0.0.0 by default.
func egressBind(eg *mesh.EgressListener) (addr string, bindToPort bool) {
	addr = wildcardAddress
	if eg == nil {
		return addr, false
	}
	if eg.CaptureNone {
		addr = mesh.LocalhostEndpoint
	}
	if eg.Bind != "" {
		addr = eg.Bind
	}
	return addr, eg.CaptureNone
}
