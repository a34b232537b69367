// Package serviceregistry builds the mesh's services from a config
// snapshot: Kubernetes Services with their EndpointSlices (and Pods for
// labels), and ServiceEntries with inline endpoints or WorkloadEntries.
package serviceregistry

import (
	"sort"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// Build returns one service per host, sorted by hostname. When a Kubernetes
// Service and a ServiceEntry claim one host, the Kubernetes Service wins.
func Build(s *config.Snapshot) []*mesh.Service {
	out, _ := BuildShared(s)
	return out
}

// BuildShared is Build plus, for each host that more than one Kubernetes
// Service or ServiceEntry defines, all of them in Istio's order (see
// ordered); Build's pick for the host is one of them. Which one a proxy
// sees depends on exportTo and its namespace, as istiod keys services by
// host and namespace.
func BuildShared(s *config.Snapshot) ([]*mesh.Service, map[string][]*mesh.Service) {
	all := candidates(s)
	byHost := map[string][]candidate{}
	var out []*mesh.Service
	for _, c := range all {
		h := c.svc.Hostname
		if len(byHost[h]) == 0 {
			out = append(out, c.svc)
		}
		byHost[h] = append(byHost[h], c)
	}
	shared := map[string][]*mesh.Service{}
	for h, cs := range byHost {
		if len(cs) > 1 {
			shared[h] = ordered(cs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hostname < out[j].Hostname })
	return out, shared
}
