package serviceregistry

import (
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// candidate is one service of a host with what Istio orders services by.
type candidate struct {
	svc     *mesh.Service
	created metav1.Time
	// name is Istio's service name: the Kubernetes Service's, else the host.
	name string
}

// candidates lists Kubernetes Services first, then each ServiceEntry host,
// so the first candidate of a host is Build's pick.
func candidates(s *config.Snapshot) []candidate {
	var out []candidate
	for i, svc := range kubeServices(s, indexPods(s)) {
		ks := s.Services[i]
		out = append(out, candidate{svc: svc, created: ks.CreationTimestamp, name: ks.Name})
	}
	for _, se := range s.ServiceEntries {
		workloads := selectWorkloads(se, s.WorkloadEntries)
		for _, host := range se.Spec.GetHosts() {
			out = append(out, candidate{svc: serviceEntryHost(se, host, workloads), created: se.CreationTimestamp, name: host})
		}
	}
	return out
}

// ordered sorts a host's services as istiod does before picking among
// them: oldest first, then by name, then by namespace.
func ordered(cs []candidate) []*mesh.Service {
	cs = slices.Clone(cs)
	slices.SortStableFunc(cs, func(a, b candidate) int {
		if !a.created.Equal(&b.created) {
			if a.created.Before(&b.created) {
				return -1
			}
			return 1
		}
		if r := strings.Compare(a.name, b.name); r != 0 {
			return r
		}
		return strings.Compare(a.svc.Namespace, b.svc.Namespace)
	})
	out := make([]*mesh.Service, len(cs))
	for i, c := range cs {
		out[i] = c.svc
	}
	return out
}
