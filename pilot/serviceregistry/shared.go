package serviceregistry

import (
	"maps"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
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
	se   *networkingv1.ServiceEntry // nil for a Kubernetes Service
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
			out = append(out, candidate{svc: serviceEntryHost(se, host, workloads), created: se.CreationTimestamp, name: host, se: se})
		}
	}
	return out
}

// ordered sorts a host's services as istiod does before picking among
// them: oldest first, then by name, then by namespace.
func ordered(cs []candidate) []candidate {
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
	return cs
}

// mergeSameNamespace folds each ServiceEntry of the host into an older
// one of the same namespace that istiod would merge it with (same
// resolution, exportTo, labels and workloadSelector): the older's ports
// plus the ports only the newer has, and each port's endpoints of both,
// as istiod's endpoints are per host and namespace (checked over ADS).
func mergeSameNamespace(cs []candidate) []*mesh.Service {
	var kept []candidate
	for _, c := range cs {
		i := slices.IndexFunc(kept, func(k candidate) bool { return mergeable(k, c) })
		if i < 0 {
			kept = append(kept, c)
			continue
		}
		kept[i].svc = mergeInto(kept[i].svc, c.svc)
	}
	out := make([]*mesh.Service, len(kept))
	for i, k := range kept {
		out[i] = k.svc
	}
	return out
}

func mergeable(a, b candidate) bool {
	if a.se == nil || b.se == nil || a.se.Namespace != b.se.Namespace || a.svc.Resolution != b.svc.Resolution {
		return false
	}
	return sameExports(a.se, b.se) && maps.Equal(a.se.Labels, b.se.Labels) &&
		maps.Equal(a.se.Spec.GetWorkloadSelector().GetLabels(), b.se.Spec.GetWorkloadSelector().GetLabels())
}

// sameExports compares exportTo as sets, "." read as the namespace.
func sameExports(a, b *networkingv1.ServiceEntry) bool {
	set := func(se *networkingv1.ServiceEntry) []string {
		var out []string
		for _, e := range se.Spec.GetExportTo() {
			if e == "." {
				e = se.Namespace
			}
			out = append(out, e)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(set(a), set(b))
}

// mergeInto returns a copy of a with b's ports and endpoints added.
func mergeInto(a, b *mesh.Service) *mesh.Service {
	out := *a
	out.Ports = slices.Clone(a.Ports)
	out.Endpoints = make(map[uint32][]mesh.Endpoint, len(a.Endpoints))
	for port, eps := range a.Endpoints {
		out.Endpoints[port] = slices.Clone(eps)
	}
	for _, p := range b.Ports {
		if _, ok := out.Port(p.Number); !ok {
			out.Ports = append(out.Ports, p)
		}
		for _, ep := range b.Endpoints[p.Number] {
			if !slices.ContainsFunc(out.Endpoints[p.Number], func(e mesh.Endpoint) bool { return e.Address == ep.Address && e.Port == ep.Port }) {
				out.Endpoints[p.Number] = append(out.Endpoints[p.Number], ep)
			}
		}
	}
	return &out
}
