package translate

import (
	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/serviceregistry"
)

func workloads(s *config.Snapshot) mesh.Workloads {
	ws := make([]*mesh.Workload, 0, len(s.Pods))
	nodes := serviceregistry.NodeLocalities(s)
	for _, p := range s.Pods {
		sa := p.Spec.ServiceAccountName
		if sa == "" {
			sa = "default"
		}
		ws = append(ws, &mesh.Workload{Name: p.Name, Namespace: p.Namespace, IP: p.Status.PodIP, Labels: p.Labels, ServiceAccount: sa,
			Locality: serviceregistry.PodLocality(p, nodes), NodeName: p.Spec.NodeName})
	}
	return mesh.NewWorkloads(ws)
}
