package translate

import (
	"sort"

	security "istio.io/api/security/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"

	"github.com/weftmesh/weft/pilot/mesh"
)

// RootNamespace holds mesh-wide policy, as istio-system does for Istio.
const RootNamespace = "istio-system"

// peerAuthn sorts PeerAuthentications into mesh, namespace and workload
// scope; when two claim one scope the oldest wins, as in Istio.
func (t *translator) peerAuthn() mesh.PeerAuthn {
	pas := append([]*securityv1.PeerAuthentication(nil), t.snap.PeerAuthentications...)
	sort.SliceStable(pas, func(i, j int) bool { return older(pas[i], pas[j]) })
	out := mesh.PeerAuthn{Namespace: map[string]*mesh.PeerPolicy{}, Workload: map[string][]*mesh.PeerPolicy{}}
	for _, pa := range pas {
		p := t.peerPolicy(pa)
		switch {
		case p.Selector != nil:
			out.Workload[pa.Namespace] = append(out.Workload[pa.Namespace], p)
		case pa.Namespace == RootNamespace && out.Mesh == nil:
			out.Mesh = p
		case out.Namespace[pa.Namespace] == nil:
			out.Namespace[pa.Namespace] = p
		default:
			t.warn(p.Ref, mesh.ReasonConflict, "spec", "another PeerAuthentication already covers this namespace; this one is ignored")
		}
	}
	return out
}

func (t *translator) peerPolicy(pa *securityv1.PeerAuthentication) *mesh.PeerPolicy {
	p := &mesh.PeerPolicy{Ref: mesh.Ref{Kind: "PeerAuthentication", Namespace: pa.Namespace, Name: pa.Name}}
	p.Mode = mode(pa.Spec.GetMtls().GetMode())
	if sel := pa.Spec.GetSelector().GetMatchLabels(); len(sel) > 0 {
		p.Selector = sel
	}
	if len(pa.Spec.GetPortLevelMtls()) > 0 && p.Selector == nil {
		t.warn(p.Ref, mesh.ReasonUnsupportedField, "spec.portLevelMtls", "port-level mTLS applies only with a workload selector, as in Istio: ignored")
	}
	if p.Selector == nil {
		return p
	}
	for port, m := range pa.Spec.GetPortLevelMtls() {
		if p.Ports == nil {
			p.Ports = map[uint32]mesh.MTLSMode{}
		}
		p.Ports[port] = mode(m.GetMode())
	}
	return p
}

func mode(m security.PeerAuthentication_MutualTLS_Mode) mesh.MTLSMode {
	switch m {
	case security.PeerAuthentication_MutualTLS_STRICT:
		return mesh.MTLSStrict
	case security.PeerAuthentication_MutualTLS_PERMISSIVE:
		return mesh.MTLSPermissive
	case security.PeerAuthentication_MutualTLS_DISABLE:
		return mesh.MTLSDisable
	}
	return mesh.MTLSUnset
}
