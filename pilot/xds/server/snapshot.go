package server

import (
	"errors"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// snapshot is a proxy's configuration as the go-control-plane cache reads
// it: references to shared parts, so a proxy costs a few pointers rather
// than a copy of its resources, and delta xDS compares per-resource
// versions computed once per part.
type snapshot map[string]*share.Part

func newSnapshot(parts []*share.Part) snapshot {
	s := make(snapshot, len(parts))
	for _, p := range parts {
		s[p.TypeURL] = p
	}
	return s
}

func (s snapshot) GetVersion(typeURL string) string {
	if p := s[typeURL]; p != nil {
		return p.Version
	}
	return ""
}

func (s snapshot) GetResourcesAndTTL(typeURL string) map[string]types.ResourceWithTTL {
	if p := s[typeURL]; p != nil {
		return p.Wire()
	}
	return nil
}

func (s snapshot) GetResources(typeURL string) map[string]types.Resource {
	if p := s[typeURL]; p != nil {
		return p.WireResources()
	}
	return nil
}

// ConstructVersionMap has nothing to do: parts hash their resources when built.
func (s snapshot) ConstructVersionMap() error { return nil }

func (s snapshot) GetVersionMap(typeURL string) map[string]string {
	if p := s[typeURL]; p != nil {
		return p.ResourceVersions()
	}
	return nil
}

func partsError(parts []*share.Part) error {
	var errs []error
	for _, p := range parts {
		errs = append(errs, p.Err)
	}
	return errors.Join(errs...)
}

func partsDegradations(parts []*share.Part) build.Degradations {
	var out build.Degradations
	for _, p := range parts {
		out = append(out, p.Degradations...)
	}
	return out
}

// withRoutes replaces the route part by the routes of a warming step,
// built for this proxy alone.
func withRoutes(parts []*share.Part, step xds.Resources) []*share.Part {
	out := make([]*share.Part, 0, len(parts))
	for _, p := range parts {
		if p.TypeURL == resource.RouteType {
			p = share.NewPart(resource.RouteType, step.List(resource.RouteType), nil)
		}
		out = append(out, p)
	}
	return out
}
