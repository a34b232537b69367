// Package share builds each distinct piece of proxy configuration once per
// mesh version and shares it between every proxy that has the same view.
//
// A generator describes a proxy's configuration as Specs: one per xDS type,
// each with a key naming everything the build reads of the proxy. Proxies
// whose specs have equal keys get the same Part: built, validated,
// marshalled and hashed once, then referenced by every proxy's snapshot.
package share

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"sync"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/proto"

	"github.com/weftmesh/weft/pilot/xds/build"
)

// Spec describes one type's resources for a proxy. Key must name every
// input Build reads apart from the mesh: equal keys mean equal output.
type Spec struct {
	TypeURL string
	Key     string
	Build   func(deg *build.Degradations) []types.Resource
}

// Part is one type's resources for one view, immutable once built.
type Part struct {
	TypeURL string
	// Resources are the built messages by name, for debugging and for
	// config derived from them (make-before-break); never modify them.
	Resources    map[string]types.Resource
	Version      string
	Degradations build.Degradations
	// Err is set when a resource failed validation; the part must not be sent.
	Err error

	wire     map[string]types.ResourceWithTTL
	wireRaw  map[string]types.Resource
	versions map[string]string
}

// NewPart validates, marshals and hashes resources once.
func NewPart(typeURL string, resources []types.Resource, deg build.Degradations) *Part {
	p := &Part{TypeURL: typeURL, Degradations: deg, Resources: make(map[string]types.Resource, len(resources)),
		wire: make(map[string]types.ResourceWithTTL, len(resources)), wireRaw: make(map[string]types.Resource, len(resources)),
		versions: make(map[string]string, len(resources))}
	for _, r := range resources {
		p.Resources[cachev3.GetResourceName(r)] = r
	}
	names := sortedNames(p.Resources)
	typeHash := fnv.New64a()
	for _, name := range names {
		b, err := p.add(name, p.Resources[name])
		if err != nil {
			p.Err = err
			return p
		}
		typeHash.Write([]byte(name))
		typeHash.Write(b)
	}
	p.Version = strconv.FormatUint(typeHash.Sum64(), 36)
	return p
}

// add validates and marshals one resource and records its wire form.
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
	w := wireForm(r, b)
	p.wire[name] = types.ResourceWithTTL{Resource: w}
	p.wireRaw[name] = w
	h := fnv.New64a()
	h.Write(b)
	p.versions[name] = strconv.FormatUint(h.Sum64(), 36)
	return b, nil
}

// wireForm is a message of r's type holding only r's encoding as unknown
// fields: go-control-plane marshals resources per response, and such a
// message marshals to exactly those bytes with a copy instead of a walk.
func wireForm(r types.Resource, b []byte) types.Resource {
	m := r.ProtoReflect().New()
	m.SetUnknown(b)
	return m.Interface()
}

func sortedNames(m map[string]types.Resource) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Wire returns the pre-marshalled resources for the xDS cache.
func (p *Part) Wire() map[string]types.ResourceWithTTL { return p.wire }

// WireResources is Wire without TTLs.
func (p *Part) WireResources() map[string]types.Resource { return p.wireRaw }

// ResourceVersions maps each resource name to its content hash, which
// delta xDS compares to send only the resources that changed.
func (p *Part) ResourceVersions() map[string]string { return p.versions }

// cache memoises parts by (type, key) for one mesh version.
type cache struct {
	mu    sync.Mutex
	parts map[partKey]*entry
}

type partKey struct{ typeURL, key string }

type entry struct {
	once sync.Once
	part *Part
}
