package serviceregistry

import (
	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

func serviceEntryServices(s *config.Snapshot) []*mesh.Service {
	var out []*mesh.Service
	for _, se := range s.ServiceEntries {
		workloads := selectWorkloads(se, s.WorkloadEntries)
		for _, host := range se.Spec.Hosts {
			out = append(out, serviceEntryHost(se, host, workloads))
		}
	}
	return out
}

func serviceEntryHost(se *networkingv1.ServiceEntry, host string, workloads []networkingv1.WorkloadEntrySpec) *mesh.Service {
	svc := &mesh.Service{
		Hostname:   host,
		Namespace:  se.Namespace,
		Addresses:  se.Spec.Addresses,
		Resolution: resolution(se.Spec.Resolution),
		External:   se.Spec.Location != "MESH_INTERNAL",
		Endpoints:  map[uint32][]mesh.Endpoint{},
	}
	for _, p := range se.Spec.Ports {
		svc.Ports = append(svc.Ports, mesh.Port{Name: p.Name, Number: p.Number, Protocol: seProtocol(p)})
		svc.Endpoints[p.Number] = seEndpoints(se, host, p, workloads)
	}
	return svc
}

func seProtocol(p networkingv1.ServicePort) mesh.Protocol {
	if p.Protocol != "" {
		return mesh.ProtocolFromName(p.Protocol, "")
	}
	return mesh.ProtocolFromName(p.Name, "")
}

func resolution(r string) mesh.Resolution {
	switch r {
	case "DNS", "DNS_ROUND_ROBIN":
		return mesh.ResolutionDNS
	case "NONE":
		return mesh.ResolutionPassthrough
	}
	return mesh.ResolutionEDS
}

// seEndpoints lists a port's endpoints; a DNS entry without endpoints
// resolves its own host name.
func seEndpoints(se *networkingv1.ServiceEntry, host string, p networkingv1.ServicePort, workloads []networkingv1.WorkloadEntrySpec) []mesh.Endpoint {
	var out []mesh.Endpoint
	for _, w := range workloads {
		out = append(out, mesh.Endpoint{
			Address: w.Address, Port: workloadPort(w, p), Labels: w.Labels, Weight: w.Weight,
			ServiceAccount: w.ServiceAccount, Namespace: se.Namespace, Healthy: true,
		})
	}
	if len(out) == 0 && resolution(se.Spec.Resolution) == mesh.ResolutionDNS {
		out = append(out, mesh.Endpoint{Address: host, Port: workloadPort(networkingv1.WorkloadEntrySpec{}, p), Namespace: se.Namespace, Healthy: true})
	}
	return out
}

func workloadPort(w networkingv1.WorkloadEntrySpec, p networkingv1.ServicePort) uint32 {
	if n, ok := w.Ports[p.Name]; ok && n > 0 {
		return n
	}
	if p.TargetPort > 0 {
		return p.TargetPort
	}
	return p.Number
}

// selectWorkloads returns inline endpoints, or the WorkloadEntries in the
// ServiceEntry's namespace that its workloadSelector matches.
func selectWorkloads(se *networkingv1.ServiceEntry, entries []*networkingv1.WorkloadEntry) []networkingv1.WorkloadEntrySpec {
	if se.Spec.WorkloadSelector == nil {
		return se.Spec.Endpoints
	}
	var out []networkingv1.WorkloadEntrySpec
	for _, we := range entries {
		if we.Namespace == se.Namespace && mesh.LabelsMatch(se.Spec.WorkloadSelector.Labels, we.Spec.Labels) {
			out = append(out, we.Spec)
		}
	}
	return out
}
