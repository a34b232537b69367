package translate

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// sidecarEgress converts spec.egress: listeners with a port become port
// listeners (their hosts apply to that port only, as in istiod), the
// others add to the catch-all hosts.
func (t *translator) sidecarEgress(ref mesh.Ref, egress []*networking.IstioEgressListener, namespace string, s *mesh.Scope) {
	for i, eg := range egress {
		if eg.GetPort().GetNumber() == 0 {
			if strings.HasPrefix(eg.GetBind(), mesh.UnixPrefix) {
				t.unsupported(ref, fieldIndex("spec.egress", i)+".bind", "not supported: unix domain socket egress listeners are not built; the hosts apply to every port")
			}
			for _, h := range eg.GetHosts() {
				s.Hosts = append(s.Hosts, hostPattern(h, namespace))
			}
			continue
		}
		if l, ok := t.egressListener(ref, fieldIndex("spec.egress", i), eg, namespace); ok {
			s.EgressPorts = append(s.EgressPorts, l)
		}
	}
}

// egressListener converts one listener with a port. HTTP_PROXY ports are
// istiod's explicit HTTP proxy listener, which weft does not build.
func (t *translator) egressListener(ref mesh.Ref, field string, eg *networking.IstioEgressListener, namespace string) (mesh.EgressListener, bool) {
	p := eg.GetPort()
	if strings.EqualFold(p.GetProtocol(), "HTTP_PROXY") {
		t.unsupported(ref, field+".port.protocol", "not supported: HTTP_PROXY egress listeners are not built; the listener is ignored")
		return mesh.EgressListener{}, false
	}
	l := mesh.EgressListener{
		Port:        mesh.Port{Name: p.GetName(), Number: p.GetNumber(), Protocol: mesh.ProtocolFromName("", p.GetProtocol())},
		Bind:        eg.GetBind(),
		CaptureNone: eg.GetCaptureMode() == networking.CaptureMode_NONE,
	}
	for _, h := range eg.GetHosts() {
		l.Hosts = append(l.Hosts, hostPattern(h, namespace))
	}
	return l, true
}

// egressProxy is the cluster outboundTrafficPolicy.egressProxy names, as
// istiod builds it: outbound|PORT|SUBSET|HOST with the host as written.
// Validation has required ALLOW_ANY and a port. The Sidecar reference
// asks that the host be imported by the egress hosts; otherwise the proxy
// has no such cluster and unknown destinations fail, which is warned.
func (t *translator) egressProxy(ref mesh.Ref, tp *networking.OutboundTrafficPolicy, s *mesh.Scope) *mesh.ClusterKey {
	d := tp.GetEgressProxy()
	if d == nil || tp.GetMode() != networking.OutboundTrafficPolicy_ALLOW_ANY {
		return nil
	}
	const field = "spec.outboundTrafficPolicy.egressProxy.host"
	svc := t.service(d.GetHost())
	switch {
	case svc == nil:
		t.warn(ref, mesh.ReasonUnknownHost, field, "no service "+d.GetHost()+" in the registry: unknown destinations will find no egress proxy cluster")
	case ref.Namespace != RootNamespace && !s.Sees(svc):
		t.warn(ref, mesh.ReasonUnknownHost, field, d.GetHost()+" is not imported by the Sidecar's egress hosts: unknown destinations will find no egress proxy cluster")
	}
	return &mesh.ClusterKey{Direction: mesh.Outbound, Port: d.GetPort().GetNumber(), Subset: d.GetSubset(), Host: d.GetHost()}
}

// service finds a registry service before the translator's index exists.
func (t *translator) service(host string) *mesh.Service {
	for _, svc := range t.m.Services {
		if svc.Hostname == host {
			return svc
		}
	}
	return nil
}
