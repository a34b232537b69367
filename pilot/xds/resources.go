package xds

import (
	"fmt"
	"sort"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cache "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
)

// Type URLs in the order a proxy should receive them.
var TypeURLs = []string{
	resource.ClusterType,
	resource.EndpointType,
	resource.ListenerType,
	resource.RouteType,
}

// Resources is one proxy's full configuration, keyed by type URL and name.
type Resources map[string]map[string]types.Resource

// Add stores a resource under its xDS name.
func (r Resources) Add(typeURL string, res types.Resource) {
	if r[typeURL] == nil {
		r[typeURL] = map[string]types.Resource{}
	}
	r[typeURL][cache.GetResourceName(res)] = res
}

// Names returns the sorted names of one type.
func (r Resources) Names(typeURL string) []string {
	names := make([]string, 0, len(r[typeURL]))
	for n := range r[typeURL] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Validate runs each resource's generated ValidateAll so that a bug in a
// generator is caught before any proxy sees (and NACKs) the resource.
func (r Resources) Validate() error {
	for _, t := range TypeURLs {
		for _, name := range r.Names(t) {
			v, ok := r[t][name].(interface{ ValidateAll() error })
			if !ok {
				continue
			}
			if err := v.ValidateAll(); err != nil {
				return fmt.Errorf("%s %q: %w", t, name, err)
			}
		}
	}
	return nil
}

// List returns the resources of one type in name order.
func (r Resources) List(typeURL string) []types.Resource {
	names := r.Names(typeURL)
	out := make([]types.Resource, 0, len(names))
	for _, n := range names {
		out = append(out, r[typeURL][n])
	}
	return out
}
