package server

import (
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// snapshot is a proxy's configuration by type URL: references to shared
// parts, so a proxy costs a few pointers rather than a copy of its
// resources, and delta xDS compares per-resource versions computed once
// per part.
type snapshot map[string]*share.Part

func newSnapshot(parts []*share.Part) snapshot {
	s := make(snapshot, len(parts))
	for _, p := range parts {
		s[p.TypeURL] = p
	}
	return s
}

func partsDegradations(parts []*share.Part) build.Degradations {
	var out build.Degradations
	for _, p := range parts {
		out = append(out, p.Degradations...)
	}
	return out
}

// withWarmingStep sends a warming step's routes, built for this proxy
// alone, with the clusters and endpoints of both the new config and the
// config the proxy has: the step keeps the old routes, and a client drops
// clusters missing from a state-of-the-world CDS response.
func withWarmingStep(parts []*share.Part, step, prev xds.Resources) []*share.Part {
	out := make([]*share.Part, 0, len(parts))
	for _, p := range parts {
		switch p.TypeURL {
		case resource.RouteType:
			p = share.NewPart(p.TypeURL, step.List(p.TypeURL), nil)
		case resource.ClusterType, resource.EndpointType:
			p = union(p, prev[p.TypeURL])
		}
		out = append(out, p)
	}
	return out
}

// union is p plus the resources of prev it lacks.
func union(p *share.Part, prev map[string]types.Resource) *share.Part {
	own := p.Resources()
	merged := make([]types.Resource, 0, len(own)+len(prev))
	for name, r := range prev {
		if _, ok := own[name]; !ok {
			merged = append(merged, r)
		}
	}
	if len(merged) == 0 {
		return p
	}
	for _, r := range own {
		merged = append(merged, r)
	}
	return share.NewPart(p.TypeURL, merged, p.Degradations)
}
