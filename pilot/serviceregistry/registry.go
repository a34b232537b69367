// Package serviceregistry builds the mesh's services from a config
// snapshot: Kubernetes Services with their EndpointSlices (and Pods for
// labels), and ServiceEntries with inline endpoints or WorkloadEntries.
package serviceregistry

import (
	"sort"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// Build returns every service in s, sorted by hostname. When a Kubernetes
// Service and a ServiceEntry claim one host, the Kubernetes Service wins.
func Build(s *config.Snapshot) []*mesh.Service {
	pods := indexPods(s)
	out := kubeServices(s, pods)
	seen := make(map[string]bool, len(out))
	for _, svc := range out {
		seen[svc.Hostname] = true
	}
	for _, svc := range serviceEntryServices(s) {
		if !seen[svc.Hostname] {
			seen[svc.Hostname] = true
			out = append(out, svc)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hostname < out[j].Hostname })
	return out
}
