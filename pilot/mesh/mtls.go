package mesh

import "slices"

// MTLSMode is a PeerAuthentication mode.
type MTLSMode string

const (
	MTLSUnset      MTLSMode = ""
	MTLSDisable    MTLSMode = "DISABLE"
	MTLSPermissive MTLSMode = "PERMISSIVE"
	MTLSStrict     MTLSMode = "STRICT"
)

// PeerPolicy is one PeerAuthentication, resolved.
type PeerPolicy struct {
	Ref      Ref
	Selector map[string]string // nil: namespace-wide (or mesh-wide in the root namespace)
	Mode     MTLSMode
	Ports    map[uint32]MTLSMode // portLevelMtls, honoured on workload policies only
}

// PeerAuthn holds every PeerAuthentication, by scope. Slices are oldest first.
type PeerAuthn struct {
	Mesh      *PeerPolicy
	Namespace map[string]*PeerPolicy
	Workload  map[string][]*PeerPolicy // by namespace
}

// Mode resolves the mTLS mode for a workload port: port level, then
// workload, namespace and mesh policies, each UNSET deferring to the next,
// and PERMISSIVE when nothing says otherwise, as Istio does.
func (pa PeerAuthn) Mode(namespace string, labels map[string]string, port uint32) MTLSMode {
	if w := pa.workloadPolicy(namespace, labels); w != nil {
		if m := w.Ports[port]; m != MTLSUnset {
			return m
		}
		if w.Mode != MTLSUnset {
			return w.Mode
		}
	}
	if ns := pa.Namespace[namespace]; ns != nil && ns.Mode != MTLSUnset {
		return ns.Mode
	}
	if pa.Mesh != nil && pa.Mesh.Mode != MTLSUnset {
		return pa.Mesh.Mode
	}
	return MTLSPermissive
}

// workloadPolicy is the oldest workload policy whose selector matches.
func (pa PeerAuthn) workloadPolicy(namespace string, labels map[string]string) *PeerPolicy {
	for _, p := range pa.Workload[namespace] {
		if LabelsMatch(p.Selector, labels) {
			return p
		}
	}
	return nil
}

// Any reports whether any PeerAuthentication exists.
func (pa PeerAuthn) Any() bool {
	return pa.Mesh != nil || len(pa.Namespace) > 0 || len(pa.Workload) > 0
}

// AcceptsMeshTLS reports whether automatic mTLS should use Istio mTLS to
// ep: the endpoint runs a mesh proxy and its own effective policy on the
// port does not DISABLE mTLS, for then its inbound chain is plaintext and
// an mTLS client would fail (Istio's EDS drops tlsMode for such endpoints).
func (pa PeerAuthn) AcceptsMeshTLS(ep Endpoint) bool {
	return ep.MeshTLSCapable() && pa.Mode(ep.Namespace, ep.Labels, ep.Port) != MTLSDisable
}

// PortLevel lists the ports the workload's own policy sets a mode for, in
// ascending order; inbound passthrough needs chains for those no Service
// declares, since their mode may differ from the workload's.
func (pa PeerAuthn) PortLevel(namespace string, labels map[string]string) []uint32 {
	w := pa.workloadPolicy(namespace, labels)
	if w == nil {
		return nil
	}
	out := make([]uint32, 0, len(w.Ports))
	for port, m := range w.Ports {
		if m != MTLSUnset {
			out = append(out, port)
		}
	}
	slices.Sort(out)
	return out
}
