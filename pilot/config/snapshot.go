package config

import (
	"fmt"

	extensionsv1alpha1 "istio.io/client-go/pkg/apis/extensions/v1alpha1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	networkingv1beta1 "istio.io/client-go/pkg/apis/networking/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	telemetryv1 "istio.io/client-go/pkg/apis/telemetry/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
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

	// Istio kinds weft decodes, validates and reports but does not act on.
	WorkloadGroups    []*networkingv1.WorkloadGroup
	EnvoyFilters      []*networkingv1alpha3.EnvoyFilter
	ProxyConfigs      []*networkingv1beta1.ProxyConfig
	Telemetries       []*telemetryv1.Telemetry
	WasmPlugins       []*extensionsv1alpha1.WasmPlugin
	TrafficExtensions []*extensionsv1alpha1.TrafficExtension

	PeerAuthentications    []*securityv1.PeerAuthentication
	AuthorizationPolicies  []*securityv1.AuthorizationPolicy
	RequestAuthentications []*securityv1.RequestAuthentication

	Services       []*corev1.Service
	EndpointSlices []*discoveryv1.EndpointSlice
	Pods           []*corev1.Pod
	Namespaces     []*corev1.Namespace
	// Nodes carry the topology labels pods' localities come from.
	Nodes []*corev1.Node

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

// Builder collects objects into a new Snapshot. The first object added for
// a key wins; later ones are reported as duplicates.
type Builder struct {
	s       Snapshot
	seen    map[Key]Origin
	foreign []Object
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{s: Snapshot{Origins: map[Key]Origin{}}, seen: map[Key]Origin{}}
}

// Add adds obj.Resource (its key is derived from the resource itself) and
// returns an error, without adding it, if the key is already taken.
func (b *Builder) Add(obj Object) *Error {
	if obj.Foreign() {
		b.foreign = append(b.foreign, obj)
		return nil
	}
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

// Foreign lists the foreign objects added (kinds no Snapshot holds), in
// the order they were added, for callers that report them.
func (b *Builder) Foreign() []Object { return b.foreign }

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
