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
// ordered), ServiceEntries istiod merges merged; Build's pick for the host
// is one of them. Which one a proxy
// sees depends on exportTo and its namespace, as istiod keys services by
// host and namespace.
func BuildShared(s *config.Snapshot) ([]*mesh.Service, map[string][]*mesh.Service) {
	byHost := map[string][]candidate{}
	var hosts []string
	for _, c := range candidates(s) {
		h := c.svc.Hostname
		if len(byHost[h]) == 0 {
			hosts = append(hosts, h)
		}
		byHost[h] = append(byHost[h], c)
	}
	out := make([]*mesh.Service, 0, len(hosts))
	shared := map[string][]*mesh.Service{}
	for _, h := range hosts {
		cs := byHost[h]
		if len(cs) == 1 {
			out = append(out, cs[0].svc)
			continue
		}
		list := mergeSameNamespace(ordered(cs))
		out = append(out, kubeOrFirst(list))
		if len(list) > 1 {
			shared[h] = list
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hostname < out[j].Hostname })
	return out, shared
}

// kubeOrFirst is Build's pick among a host's services.
func kubeOrFirst(list []*mesh.Service) *mesh.Service {
	for _, s := range list {
		if s.Name != "" {
			return s
		}
	}
	return list[0]
}
