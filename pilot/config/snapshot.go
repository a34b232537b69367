package config

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
	securityv1 "github.com/weftmesh/weft/apis/security/v1"
)

// Snapshot is the whole config weft serves at one moment. Every slice is
// sorted by namespace/name. A Snapshot is immutable once built: later stages
// are pure functions of it, so neither it nor the objects it points to may
// be modified (copy with DeepCopy first).
type Snapshot struct {
	VirtualServices  []*networkingv1.VirtualService
	DestinationRules []*networkingv1.DestinationRule
	ServiceEntries   []*networkingv1.ServiceEntry
	WorkloadEntries  []*networkingv1.WorkloadEntry
	Sidecars         []*networkingv1.Sidecar
	Gateways         []*networkingv1.Gateway

	PeerAuthentications    []*securityv1.PeerAuthentication
	AuthorizationPolicies  []*securityv1.AuthorizationPolicy
	RequestAuthentications []*securityv1.RequestAuthentication

	Services       []*corev1.Service
	EndpointSlices []*discoveryv1.EndpointSlice
	Pods           []*corev1.Pod
	Namespaces     []*corev1.Namespace

	// Origins says where each resource was read from; resources built in
	// code have none.
	Origins map[Key]Origin
}

// Each calls fn for every resource, kind by kind (in Kinds order) and
// sorted within a kind, so walks are deterministic.
func (s *Snapshot) Each(fn func(Object)) {
	if s == nil {
		return
	}
	for _, k := range kinds {
		k.field.each(s, func(r Resource) {
			key := KeyOf(r)
			fn(Object{Key: key, Origin: s.Origins[key], Resource: r})
		})
	}
}

// Objects returns every resource of s in Each order.
func (s *Snapshot) Objects() []Object {
	var out []Object
	s.Each(func(o Object) { out = append(out, o) })
	return out
}

// Len is the number of resources in s.
func (s *Snapshot) Len() int {
	n := 0
	s.Each(func(Object) { n++ })
	return n
}

// Index maps every resource of s by key, for lookups across snapshots.
func (s *Snapshot) Index() map[Key]Object {
	idx := map[Key]Object{}
	s.Each(func(o Object) { idx[o.Key] = o })
	return idx
}

// Equal reports whether s and o hold the same resources with the same
// content. Origins are ignored: moving a document within a file is not a
// config change worth pushing.
func (s *Snapshot) Equal(o *Snapshot) bool {
	if s == nil || o == nil {
		return s.Len() == 0 && o.Len() == 0
	}
	for _, k := range kinds {
		if !k.field.equal(s, o) {
			return false
		}
	}
	return true
}

// semanticEqual compares API objects the way Kubernetes does (quantities
// and times by value, nil and empty alike where the API treats them so).
func semanticEqual(a, b any) bool { return equality.Semantic.DeepEqual(a, b) }

// Builder collects objects into a new Snapshot. The first object added for
// a key wins; later ones are reported as duplicates.
type Builder struct {
	s    Snapshot
	seen map[Key]Origin
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{s: Snapshot{Origins: map[Key]Origin{}}, seen: map[Key]Origin{}}
}

// Add adds obj.Resource (its key is derived from the resource itself) and
// returns an error, without adding it, if the key is already taken.
func (b *Builder) Add(obj Object) *Error {
	key := KeyOf(obj.Resource)
	if first, dup := b.seen[key]; dup {
		return NewError(obj.Origin, key, "",
			fmt.Sprintf("duplicate %s: already defined in %s", key, describeOrigin(first)))
	}
	b.seen[key] = obj.Origin
	kindsByName[key.Kind].field.add(&b.s, obj.Resource)
	if obj.Origin != (Origin{}) {
		b.s.Origins[key] = obj.Origin
	}
	return nil
}

// Finish sorts and returns the Snapshot. The Builder must not be used after.
func (b *Builder) Finish() *Snapshot {
	for _, k := range kinds {
		k.field.sort(&b.s)
	}
	s := b.s
	b.s = Snapshot{}
	return &s
}

func describeOrigin(o Origin) string {
	if o.File == "" {
		return "code"
	}
	return fmt.Sprintf("%s:%d (document %d)", o.File, o.Line, o.Doc+1)
}
