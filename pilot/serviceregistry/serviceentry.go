package serviceregistry

import (
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/mesh"
)

func serviceEntryHost(se *networkingv1.ServiceEntry, host string, workloads []*networking.WorkloadEntry) *mesh.Service {
	svc := &mesh.Service{
		Hostname:   host,
		Namespace:  se.Namespace,
		Addresses:  se.Spec.GetAddresses(),
		Resolution: resolution(se.Spec.GetResolution()),
		External:   se.Spec.GetLocation() != networking.ServiceEntry_MESH_INTERNAL,
		Endpoints:  map[uint32][]mesh.Endpoint{},
		// Checked by SIMPLE/MUTUAL origination (pilot/xds/build).
		SubjectAltNames: se.Spec.GetSubjectAltNames(),
	}
	for _, p := range se.Spec.GetPorts() {
		svc.Ports = append(svc.Ports, mesh.Port{Name: p.GetName(), Number: p.GetNumber(), Protocol: seProtocol(p)})
		svc.Endpoints[p.GetNumber()] = seEndpoints(se, host, p, workloads)
	}
	return svc
}

func seProtocol(p *networking.ServicePort) mesh.Protocol {
	if p.GetProtocol() != "" {
		return mesh.ProtocolFromName(p.GetProtocol(), "")
	}
	return mesh.ProtocolFromName(p.GetName(), "")
}

// resolution maps Istio's enum; NONE is its zero value, so a ServiceEntry
// that leaves resolution out is passed through, as Istio documents.
func resolution(r networking.ServiceEntry_Resolution) mesh.Resolution {
	switch r {
	case networking.ServiceEntry_DNS:
		return mesh.ResolutionDNS
	case networking.ServiceEntry_DNS_ROUND_ROBIN:
		return mesh.ResolutionDNSRoundRobin
	case networking.ServiceEntry_NONE:
		return mesh.ResolutionPassthrough
	}
	return mesh.ResolutionEDS
}

// seEndpoints lists a port's endpoints; a DNS entry without endpoints
// resolves its own host name.
func seEndpoints(se *networkingv1.ServiceEntry, host string, p *networking.ServicePort, workloads []*networking.WorkloadEntry) []mesh.Endpoint {
	var out []mesh.Endpoint
	for _, w := range workloads {
		out = append(out, mesh.Endpoint{
			Address: w.GetAddress(), Port: workloadPort(w, p), Labels: w.GetLabels(), Weight: w.GetWeight(),
			ServiceAccount: w.GetServiceAccount(), Namespace: se.Namespace, Healthy: true, Locality: workloadEntryLocality(w),
		})
	}
	if len(out) == 0 && resolution(se.Spec.GetResolution()).ByDNS() {
		out = append(out, mesh.Endpoint{Address: host, Port: workloadPort(nil, p), Namespace: se.Namespace, Healthy: true})
	}
	return out
}

// workloadPort picks the workload's own port for p (w may be nil), else
// the ServiceEntry's target port, else the port itself.
func workloadPort(w *networking.WorkloadEntry, p *networking.ServicePort) uint32 {
	if n, ok := w.GetPorts()[p.GetName()]; ok && n > 0 {
		return n
	}
	if p.GetTargetPort() > 0 {
		return p.GetTargetPort()
	}
	return p.GetNumber()
}

// selectWorkloads returns inline endpoints, or the WorkloadEntries in the
// ServiceEntry's namespace that its workloadSelector matches.
func selectWorkloads(se *networkingv1.ServiceEntry, entries []*networkingv1.WorkloadEntry) []*networking.WorkloadEntry {
	if se.Spec.GetWorkloadSelector() == nil {
		return se.Spec.GetEndpoints()
	}
	var out []*networking.WorkloadEntry
	for _, we := range entries {
		if we.Namespace == se.Namespace && mesh.LabelsMatch(se.Spec.GetWorkloadSelector().GetLabels(), we.Spec.GetLabels()) {
			out = append(out, &we.Spec)
		}
	}
	return out
}
