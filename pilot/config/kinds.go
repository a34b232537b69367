package config

import (
	"cmp"
	"reflect"
	"slices"

	extensionsv1alpha1 "istio.io/client-go/pkg/apis/extensions/v1alpha1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	networkingv1beta1 "istio.io/client-go/pkg/apis/networking/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	telemetryv1 "istio.io/client-go/pkg/apis/telemetry/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// kind describes one kind a Snapshot holds: which apiVersions decode into
// it and which Snapshot slice holds it. All table-driven so adding a kind is
// one line in kinds below.
type kind struct {
	name       string
	group      string
	versions   []string // served versions; versions[0] is the one objects are stored as
	namespaced bool
	newObject  func() Resource
	field      snapshotField
	// implemented is false for Istio kinds weft decodes and validates but
	// does not act on; they are reported as "not supported by weft".
	implemented bool
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
	return slices.EqualFunc(*f(a), *f(b), func(x, y T) bool { return resourceEqual(x, y) })
}

func newOf[V any, T interface {
	*V
	Resource
}]() func() Resource {
	return func() Resource { return T(new(V)) }
}

const (
	groupNetworking = "networking.istio.io"
	groupSecurity   = "security.istio.io"
	groupTelemetry  = "telemetry.istio.io"
	groupExtensions = "extensions.istio.io"
)

// Served versions, as Istio's CRDs serve them (the first is the stored one).
var (
	networkingVersions = []string{"v1", "v1beta1", "v1alpha3"}
	securityVersions   = []string{"v1", "v1beta1"}
	telemetryVersions  = []string{"v1", "v1alpha1"}
)

// istio builds the kind entry of an Istio kind.
func istio[V any, T interface {
	*V
	Resource
}](name, group string, versions []string, implemented bool, sel func(*Snapshot) *[]T) *kind {
	return &kind{name: name, group: group, versions: versions, namespaced: true,
		newObject: newOf[V, T](), field: fieldOf[T](sel), implemented: implemented}
}

// core builds the kind entry of a Kubernetes kind weft reads.
func core[V any, T interface {
	*V
	Resource
}](name, group string, namespaced bool, sel func(*Snapshot) *[]T) *kind {
	return &kind{name: name, group: group, versions: []string{"v1"}, namespaced: namespaced,
		newObject: newOf[V, T](), field: fieldOf[T](sel), implemented: true}
}

// kinds lists every kind a Snapshot holds, in the order snapshots are walked:
// all of Istio's kinds (so none is ever silently dropped) and the Kubernetes
// kinds weft reads.
var kinds = []*kind{
	istio[networkingv1.VirtualService]("VirtualService", groupNetworking, networkingVersions, true,
		func(s *Snapshot) *[]*networkingv1.VirtualService { return &s.VirtualServices }),
	istio[networkingv1.DestinationRule]("DestinationRule", groupNetworking, networkingVersions, true,
		func(s *Snapshot) *[]*networkingv1.DestinationRule { return &s.DestinationRules }),
	istio[networkingv1.ServiceEntry]("ServiceEntry", groupNetworking, networkingVersions, true,
		func(s *Snapshot) *[]*networkingv1.ServiceEntry { return &s.ServiceEntries }),
	istio[networkingv1.WorkloadEntry]("WorkloadEntry", groupNetworking, networkingVersions, true,
		func(s *Snapshot) *[]*networkingv1.WorkloadEntry { return &s.WorkloadEntries }),
	istio[networkingv1.Sidecar]("Sidecar", groupNetworking, networkingVersions, true,
		func(s *Snapshot) *[]*networkingv1.Sidecar { return &s.Sidecars }),
	istio[networkingv1.Gateway]("Gateway", groupNetworking, networkingVersions, false,
		func(s *Snapshot) *[]*networkingv1.Gateway { return &s.Gateways }),
	istio[networkingv1.WorkloadGroup]("WorkloadGroup", groupNetworking, networkingVersions, false,
		func(s *Snapshot) *[]*networkingv1.WorkloadGroup { return &s.WorkloadGroups }),
	istio[networkingv1alpha3.EnvoyFilter]("EnvoyFilter", groupNetworking, []string{"v1alpha3"}, false,
		func(s *Snapshot) *[]*networkingv1alpha3.EnvoyFilter { return &s.EnvoyFilters }),
	istio[networkingv1beta1.ProxyConfig]("ProxyConfig", groupNetworking, []string{"v1beta1"}, false,
		func(s *Snapshot) *[]*networkingv1beta1.ProxyConfig { return &s.ProxyConfigs }),
	istio[securityv1.PeerAuthentication]("PeerAuthentication", groupSecurity, securityVersions, true,
		func(s *Snapshot) *[]*securityv1.PeerAuthentication { return &s.PeerAuthentications }),
	istio[securityv1.AuthorizationPolicy]("AuthorizationPolicy", groupSecurity, securityVersions, false,
		func(s *Snapshot) *[]*securityv1.AuthorizationPolicy { return &s.AuthorizationPolicies }),
	istio[securityv1.RequestAuthentication]("RequestAuthentication", groupSecurity, securityVersions, false,
		func(s *Snapshot) *[]*securityv1.RequestAuthentication { return &s.RequestAuthentications }),
	istio[telemetryv1.Telemetry]("Telemetry", groupTelemetry, telemetryVersions, false,
		func(s *Snapshot) *[]*telemetryv1.Telemetry { return &s.Telemetries }),
	istio[extensionsv1alpha1.WasmPlugin]("WasmPlugin", groupExtensions, []string{"v1alpha1"}, false,
		func(s *Snapshot) *[]*extensionsv1alpha1.WasmPlugin { return &s.WasmPlugins }),
	istio[extensionsv1alpha1.TrafficExtension]("TrafficExtension", groupExtensions, []string{"v1alpha1"}, false,
		func(s *Snapshot) *[]*extensionsv1alpha1.TrafficExtension { return &s.TrafficExtensions }),
	core[corev1.Service]("Service", "", true, func(s *Snapshot) *[]*corev1.Service { return &s.Services }),
	core[discoveryv1.EndpointSlice]("EndpointSlice", discoveryv1.GroupName, true,
		func(s *Snapshot) *[]*discoveryv1.EndpointSlice { return &s.EndpointSlices }),
	core[corev1.Pod]("Pod", "", true, func(s *Snapshot) *[]*corev1.Pod { return &s.Pods }),
	core[corev1.Namespace]("Namespace", "", false, func(s *Snapshot) *[]*corev1.Namespace { return &s.Namespaces }),
	core[corev1.Node]("Node", "", false, func(s *Snapshot) *[]*corev1.Node { return &s.Nodes }),
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

// isIstio reports whether k is one of Istio's kinds (a spec that is a proto
// message) rather than a Kubernetes one.
func (k *kind) isIstio() bool { return specOf(k.newObject()) != nil }

// KeyOf returns the Key of r, taking the kind from r's Go type so that
// objects built in code without TypeMeta work too; foreign objects (kinds
// a Snapshot does not hold) are named by their apiVersion's kind.
func KeyOf(r Resource) Key {
	k, ok := kindsByType[reflect.TypeOf(r)]
	if !ok {
		return Key{Kind: r.GetObjectKind().GroupVersionKind().Kind, Namespace: r.GetNamespace(), Name: r.GetName()}
	}
	return Key{Kind: k.name, Namespace: r.GetNamespace(), Name: r.GetName()}
}

// isHeld reports whether a Snapshot holds r's type.
func isHeld(r Resource) bool { _, ok := kindsByType[reflect.TypeOf(r)]; return ok }

// Kinds lists the kind names a Snapshot holds, in the order Snapshots are walked.
func Kinds() []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.name
	}
	return names
}

// Implemented reports whether weft acts on objects of the named kind. Istio
// kinds it does not implement are still decoded, validated and reported.
func Implemented(kindName string) bool {
	k, ok := kindsByName[kindName]
	return ok && k.implemented
}
