package translate

import (
	"slices"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// localityLB converts a localityLbSetting; enabled unset means enabled.
func localityLB(s *networking.LocalityLoadBalancerSetting) *mesh.LocalityLB {
	if s == nil {
		return nil
	}
	out := &mesh.LocalityLB{
		Disabled:         s.GetEnabled() != nil && !s.GetEnabled().GetValue(),
		FailoverPriority: s.GetFailoverPriority(),
	}
	for _, d := range s.GetDistribute() {
		out.Distribute = append(out.Distribute, mesh.LocalityDistribute{From: d.GetFrom(), To: localityWeights(d.GetTo())})
	}
	for _, f := range s.GetFailover() {
		out.Failover = append(out.Failover, mesh.LocalityFailover{From: f.GetFrom(), To: f.GetTo()})
	}
	return out
}

// localityWeights orders the to-map by pattern: Istio walks the map in no
// set order, so the order only matters for overlapping patterns.
func localityWeights(to map[string]uint32) []mesh.LocalityWeight {
	out := make([]mesh.LocalityWeight, 0, len(to))
	for loc, w := range to {
		out = append(out, mesh.LocalityWeight{Locality: loc, Weight: w})
	}
	slices.SortFunc(out, func(a, b mesh.LocalityWeight) int {
		if a.Locality < b.Locality {
			return -1
		}
		return 1
	})
	return out
}
