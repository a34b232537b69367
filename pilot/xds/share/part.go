// Package share builds each distinct piece of proxy configuration once per
// mesh version and shares it between every proxy that has the same view.
//
// A generator describes a proxy's configuration as Specs: one per xDS type,
// each with a key naming everything the build reads of the proxy. Proxies
// whose specs have equal keys get the same Part: built, validated, encoded
// and hashed once, then referenced by every proxy's snapshot and sent as
// the same bytes to each of them.
package share

import (
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"sync"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/weftmesh/weft/pilot/xds/build"
)

// Spec describes one type's resources for a proxy. Key must name every
// input Build reads apart from the mesh: equal keys mean equal output.
type Spec struct {
	TypeURL string
	Key     string
	Build   func(deg *build.Degradations) []types.Resource
	// RouteFree: the part does not depend on HTTP routes, so a mesh whose
	// config changed only there may reuse it (Cache.inherit). Proxyless
	// clusters are those the routes reference: not route-free.
	RouteFree bool
}

// Part is one type's resources for one view, immutable once built. It
// keeps only their encoding: the messages are decoded again on demand
// (Resources), so a view costs its bytes once, not its bytes and its
// messages.
type Part struct {
	TypeURL      string
	Version      string
	Degradations build.Degradations
	// Rejected are the resources left out because they failed validation:
	// the rest of the part is still sent, so one bad resource (a generator
	// bug guard.Apply did not catch) cannot stop every change for the view.
	Rejected []Rejection

	// Encoded once for every proxy's responses: Anys by name and in name
	// order, and the delta form carrying each resource's content hash.
	names []string
	anys  map[string]*anypb.Any
	all   []*anypb.Any
	delta map[string]*discovery.Resource

	decodeOnce sync.Once
	decoded    map[string]types.Resource
}

// Rejection is one generated resource left out of a part, and why.
type Rejection struct {
	TypeURL, Name string
	Err           error
}

// NewPart validates, marshals and hashes resources once; resources that
// fail validation are left out and listed in Rejected.
func NewPart(typeURL string, resources []types.Resource, deg build.Degradations) *Part {
	p := &Part{TypeURL: typeURL, Degradations: deg,
		anys: make(map[string]*anypb.Any, len(resources)), delta: make(map[string]*discovery.Resource, len(resources))}
	byName := make(map[string]types.Resource, len(resources))
	for _, r := range resources {
		byName[cachev3.GetResourceName(r)] = r
	}
	names := sortedNames(byName)
	typeHash := fnv.New64a()
	for _, name := range names {
		b, err := p.add(name, byName[name])
		if err != nil {
			p.Rejected = append(p.Rejected, Rejection{TypeURL: typeURL, Name: name, Err: err})
			continue
		}
		typeHash.Write([]byte(name))
		typeHash.Write(b)
		p.names = append(p.names, name)
		p.all = append(p.all, p.anys[name])
	}
	p.Version = strconv.FormatUint(typeHash.Sum64(), 36)
	return p
}

// add validates and encodes one resource.
func (p *Part) add(name string, r types.Resource) ([]byte, error) {
	if v, ok := r.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			return nil, fmt.Errorf("%s %q: %w", p.TypeURL, name, err)
		}
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("%s %q: marshal: %w", p.TypeURL, name, err)
	}
	h := fnv.New64a()
	h.Write(b)
	a := &anypb.Any{TypeUrl: p.TypeURL, Value: b}
	p.anys[name] = a
	p.delta[name] = &discovery.Resource{Name: name, Version: strconv.FormatUint(h.Sum64(), 36), Resource: a}
	return b, nil
}

func sortedNames(m map[string]types.Resource) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Names lists the resources in name order.
func (p *Part) Names() []string { return p.names }

// Any is the encoded resource, shared by every response that carries it.
func (p *Part) Any(name string) (*anypb.Any, bool) {
	a, ok := p.anys[name]
	return a, ok
}

// All is every encoded resource in name order; callers must not modify it.
func (p *Part) All() []*anypb.Any { return p.all }

// DeltaResource is the resource as a delta response carries it.
func (p *Part) DeltaResource(name string) (*discovery.Resource, bool) {
	r, ok := p.delta[name]
	return r, ok
}

// Resources are the part's messages by name, decoded from their encoding
// on first use (debugging, make-before-break); never modify them.
func (p *Part) Resources() map[string]types.Resource {
	p.decodeOnce.Do(func() {
		p.decoded = make(map[string]types.Resource, len(p.names))
		for _, name := range p.names {
			m, err := p.anys[name].UnmarshalNew()
			if err != nil {
				panic(fmt.Sprintf("share: %s %q does not decode from its own encoding: %v", p.TypeURL, name, err))
			}
			p.decoded[name] = m
		}
	})
	return p.decoded
}

// Canonical returns names sorted, with each one the part has replaced by
// the part's own copy, so a proxy's subscription shares its strings with
// the part instead of holding the copies its requests decoded; names the
// part lacks are kept as given. A subscription to exactly the part's names
// (Envoy's usual EDS and RDS request) is the part's own slice. names is
// sorted in place; the result must not be modified.
func (p *Part) Canonical(names []string) []string {
	slices.Sort(names)
	if p == nil {
		return names
	}
	if slices.Equal(names, p.names) {
		return p.names
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n
		if j, ok := slices.BinarySearch(p.names, n); ok {
			out[i] = p.names[j]
		}
	}
	return out
}
