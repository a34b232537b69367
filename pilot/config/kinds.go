package config

import (
	"cmp"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
	securityv1 "github.com/weftmesh/weft/apis/security/v1"
)

// kind describes one supported resource kind: which apiVersions decode into
// it and which Snapshot slice holds it. All table-driven so adding a kind is
// one line in kinds below.
type kind struct {
	name       string
	group      string
	versions   []string // served versions; versions[0] is the one objects are stored as
	namespaced bool
	newObject  func() Resource
	field      snapshotField
}

// snapshotField is the typed slice of a Snapshot that holds one kind.
type snapshotField interface {
	add(s *Snapshot, r Resource)
	each(s *Snapshot, fn func(Resource))
	sort(s *Snapshot)
	equal(a, b *Snapshot) bool
}

// fieldOf adapts a Snapshot slice selector to snapshotField.
type fieldOf[T Resource] func(s *Snapshot) *[]T

func (f fieldOf[T]) add(s *Snapshot, r Resource) { p := f(s); *p = append(*p, r.(T)) }

func (f fieldOf[T]) each(s *Snapshot, fn func(Resource)) {
	for _, r := range *f(s) {
		fn(r)
	}
}

func (f fieldOf[T]) sort(s *Snapshot) {
	slices.SortFunc(*f(s), func(a, b T) int {
		return cmp.Or(cmp.Compare(a.GetNamespace(), b.GetNamespace()), cmp.Compare(a.GetName(), b.GetName()))
	})
}

func (f fieldOf[T]) equal(a, b *Snapshot) bool {
	return slices.EqualFunc(*f(a), *f(b), func(x, y T) bool { return semanticEqual(x, y) })
}

func newOf[V any, T interface {
	*V
	Resource
}]() func() Resource {
	return func() Resource { return T(new(V)) }
}

var (
	networkingVersions = []string{"v1", "v1beta1", "v1alpha3"}
	securityVersions   = []string{"v1", "v1beta1"}
)

// kinds lists every supported kind in the order snapshots are walked.
var kinds = []*kind{
	{"VirtualService", networkingv1.GroupName, networkingVersions, true, newOf[networkingv1.VirtualService](),
		fieldOf[*networkingv1.VirtualService](func(s *Snapshot) *[]*networkingv1.VirtualService { return &s.VirtualServices })},
	{"DestinationRule", networkingv1.GroupName, networkingVersions, true, newOf[networkingv1.DestinationRule](),
		fieldOf[*networkingv1.DestinationRule](func(s *Snapshot) *[]*networkingv1.DestinationRule { return &s.DestinationRules })},
	{"ServiceEntry", networkingv1.GroupName, networkingVersions, true, newOf[networkingv1.ServiceEntry](),
		fieldOf[*networkingv1.ServiceEntry](func(s *Snapshot) *[]*networkingv1.ServiceEntry { return &s.ServiceEntries })},
	{"WorkloadEntry", networkingv1.GroupName, networkingVersions, true, newOf[networkingv1.WorkloadEntry](),
		fieldOf[*networkingv1.WorkloadEntry](func(s *Snapshot) *[]*networkingv1.WorkloadEntry { return &s.WorkloadEntries })},
	{"Sidecar", networkingv1.GroupName, networkingVersions, true, newOf[networkingv1.Sidecar](),
		fieldOf[*networkingv1.Sidecar](func(s *Snapshot) *[]*networkingv1.Sidecar { return &s.Sidecars })},
	{"Gateway", networkingv1.GroupName, networkingVersions, true, newOf[networkingv1.Gateway](),
		fieldOf[*networkingv1.Gateway](func(s *Snapshot) *[]*networkingv1.Gateway { return &s.Gateways })},
	{"PeerAuthentication", securityv1.GroupName, securityVersions, true, newOf[securityv1.PeerAuthentication](),
		fieldOf[*securityv1.PeerAuthentication](func(s *Snapshot) *[]*securityv1.PeerAuthentication { return &s.PeerAuthentications })},
	{"AuthorizationPolicy", securityv1.GroupName, securityVersions, true, newOf[securityv1.AuthorizationPolicy](),
		fieldOf[*securityv1.AuthorizationPolicy](func(s *Snapshot) *[]*securityv1.AuthorizationPolicy { return &s.AuthorizationPolicies })},
	{"RequestAuthentication", securityv1.GroupName, securityVersions, true, newOf[securityv1.RequestAuthentication](),
		fieldOf[*securityv1.RequestAuthentication](func(s *Snapshot) *[]*securityv1.RequestAuthentication { return &s.RequestAuthentications })},
	{"Service", "", []string{"v1"}, true, newOf[corev1.Service](),
		fieldOf[*corev1.Service](func(s *Snapshot) *[]*corev1.Service { return &s.Services })},
	{"EndpointSlice", discoveryv1.GroupName, []string{"v1"}, true, newOf[discoveryv1.EndpointSlice](),
		fieldOf[*discoveryv1.EndpointSlice](func(s *Snapshot) *[]*discoveryv1.EndpointSlice { return &s.EndpointSlices })},
	{"Pod", "", []string{"v1"}, true, newOf[corev1.Pod](),
		fieldOf[*corev1.Pod](func(s *Snapshot) *[]*corev1.Pod { return &s.Pods })},
	{"Namespace", "", []string{"v1"}, false, newOf[corev1.Namespace](),
		fieldOf[*corev1.Namespace](func(s *Snapshot) *[]*corev1.Namespace { return &s.Namespaces })},
}

var (
	kindsByName = map[string]*kind{}
	kindsByType = map[reflect.Type]*kind{}
)

func init() {
	for _, k := range kinds {
		kindsByName[k.name] = k
		kindsByType[reflect.TypeOf(k.newObject())] = k
	}
}

// storedGVK is the apiVersion/kind objects of k carry once decoded, whatever
// version they were written in (the served versions share one schema).
func (k *kind) storedGVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: k.group, Version: k.versions[0], Kind: k.name}
}

func (k *kind) serves(version string) bool { return slices.Contains(k.versions, version) }

// KeyOf returns the Key of r, taking the kind from r's Go type so that
// objects built in code without TypeMeta work too. It panics on a type the
// Snapshot cannot hold, which is a programming error.
func KeyOf(r Resource) Key {
	k, ok := kindsByType[reflect.TypeOf(r)]
	if !ok {
		panic("config: unsupported resource type " + reflect.TypeOf(r).String())
	}
	return Key{Kind: k.name, Namespace: r.GetNamespace(), Name: r.GetName()}
}

// Kinds lists the supported kind names in the order Snapshots are walked.
func Kinds() []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.name
	}
	return names
}
