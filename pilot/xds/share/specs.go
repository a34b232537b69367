package share

import (
	"sort"
	"strconv"
	"strings"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"

	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Build runs specs without sharing: the resources and degradations of one
// proxy, as the golden tests and tools see them.
func Build(specs []Spec) (xds.Resources, build.Degradations) {
	res := xds.Resources{}
	var deg build.Degradations
	for _, s := range specs {
		for _, r := range s.Build(&deg) {
			res.Add(s.TypeURL, r)
		}
	}
	return res, deg
}

// Resources is the structured view of parts, sharing their maps.
func Resources(parts []*Part) xds.Resources {
	res := xds.Resources{}
	for _, p := range parts {
		res[p.TypeURL] = p.Resources()
	}
	return res
}

// List converts a typed slice for a Spec's Build.
func List[T types.Resource](items []T) []types.Resource {
	out := make([]types.Resource, len(items))
	for i, r := range items {
		out[i] = r
	}
	return out
}

// Key joins key fields unambiguously.
func Key(fields ...string) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(strconv.Quote(f))
	}
	return b.String()
}

// LabelsKey is a stable encoding of a label set.
func LabelsKey(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fields := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		fields = append(fields, k, labels[k])
	}
	return Key(fields...)
}
