package pipeline

import (
	"fmt"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/pilot/config"
)

// SyntheticOptions shapes a generated mesh for benchmarks and load tests.
type SyntheticOptions struct {
	Services         int
	PodsPerService   int
	Namespaces       int
	CanaryWeightToV2 int32
	// SidecarScope adds one Sidecar named "default" per namespace ns-K whose
	// egress is limited to "./*" and "ns-0/*": each proxy sees its own
	// namespace plus ns-0, which plays the role of a shared namespace.
	SidecarScope bool
	// ServiceEntries describes each service as a ServiceEntry with inline
	// endpoints instead of a Service, EndpointSlice and Pods: a mesh istiod
	// serves in file mode too.
	ServiceEntries bool
}

// SharedNamespace is the namespace every scoped proxy also sees.
const SharedNamespace = "ns-0"

// Synthetic builds a realistic mesh: each service has a gRPC port, pods
// split across versions v1/v2, a DestinationRule with both subsets and a
// VirtualService splitting traffic between them.
func Synthetic(o SyntheticOptions) *config.Snapshot {
	b := config.NewBuilder()
	ns := max(o.Namespaces, 1)
	for i := 0; i < o.Services; i++ {
		s := syntheticService{name: fmt.Sprintf("svc-%d", i), ns: fmt.Sprintf("ns-%d", i%ns), index: i, entries: o.ServiceEntries}
		for _, r := range s.resources(max(o.PodsPerService, 2), o.CanaryWeightToV2) {
			_ = b.Add(config.Object{Resource: r}) // names are unique by construction
		}
	}
	if o.SidecarScope {
		for k := 0; k < ns; k++ {
			_ = b.Add(config.Object{Resource: SyntheticSidecar(fmt.Sprintf("ns-%d", k))})
		}
	}
	return b.Finish()
}

// SyntheticService returns the resources Synthetic generates for service i
// (svc-i, its Service, EndpointSlice, DestinationRule, VirtualService and
// pods), but in namespace ns, so a load test can add one service or one pod
// to a running mesh.
func SyntheticService(o SyntheticOptions, i int, ns string, pods int, weightV2 int32) []config.Resource {
	return syntheticService{name: fmt.Sprintf("svc-%d", i), ns: ns, index: i, entries: o.ServiceEntries}.resources(max(pods, 2), weightV2)
}

// SyntheticSidecar is the namespace-wide Sidecar SidecarScope adds to ns.
func SyntheticSidecar(ns string) *networkingv1.Sidecar {
	return &networkingv1.Sidecar{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "Sidecar"},
		ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns},
		Spec: networking.Sidecar{
			Egress: []*networking.IstioEgressListener{{Hosts: []string{"./*", SharedNamespace + "/*"}}},
		},
	}
}

type syntheticService struct {
	name, ns string
	index    int
	entries  bool // a ServiceEntry instead of Service, EndpointSlice and Pods
}

func (s syntheticService) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: s.ns, Labels: map[string]string{"app": s.name}}
}

func (s syntheticService) resources(pods int, weightV2 int32) []config.Resource {
	if s.entries {
		return []config.Resource{s.serviceEntry(pods), s.destinationRule(), s.virtualService(weightV2)}
	}
	out := []config.Resource{s.service(), s.slice(pods), s.destinationRule(), s.virtualService(weightV2)}
	for p := 0; p < pods; p++ {
		out = append(out, s.pod(p))
	}
	return out
}

func (s syntheticService) service() *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: s.meta(s.name),
		Spec: corev1.ServiceSpec{
			ClusterIP: fmt.Sprintf("10.96.%d.%d", s.index/250, s.index%250+1),
			Selector:  map[string]string{"app": s.name},
			Ports:     []corev1.ServicePort{{Name: "grpc", Port: 9080}},
		},
	}
}

func (s syntheticService) podIP(p int) string {
	n := s.index*16 + p
	return fmt.Sprintf("10.%d.%d.%d", 100+n/65536, n/256%256, n%256)
}

func (s syntheticService) pod(p int) *corev1.Pod {
	m := s.meta(fmt.Sprintf("%s-%d", s.name, p))
	m.Labels = map[string]string{"app": s.name, "version": fmt.Sprintf("v%d", p%2+1)}
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: m,
		Status:     corev1.PodStatus{PodIP: s.podIP(p)},
	}
}

func (s syntheticService) slice(pods int) *discoveryv1.EndpointSlice {
	m := s.meta(s.name + "-slice")
	m.Labels = map[string]string{discoveryv1.LabelServiceName: s.name}
	name, port := "grpc", int32(9080)
	es := &discoveryv1.EndpointSlice{
		TypeMeta:    metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta:  m,
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port}},
	}
	for p := 0; p < pods; p++ {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses: []string{s.podIP(p)},
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: fmt.Sprintf("%s-%d", s.name, p), Namespace: s.ns},
		})
	}
	return es
}

func (s syntheticService) destinationRule() *networkingv1.DestinationRule {
	return &networkingv1.DestinationRule{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "DestinationRule"},
		ObjectMeta: s.meta(s.name),
		Spec: networking.DestinationRule{
			Host: s.name,
			Subsets: []*networking.Subset{
				{Name: "v1", Labels: map[string]string{"version": "v1"}},
				{Name: "v2", Labels: map[string]string{"version": "v2"}},
			},
		},
	}
}

func (s syntheticService) virtualService(weightV2 int32) *networkingv1.VirtualService {
	return &networkingv1.VirtualService{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"},
		ObjectMeta: s.meta(s.name),
		Spec: networking.VirtualService{
			Hosts: []string{s.name},
			Http: []*networking.HTTPRoute{{
				Route: []*networking.HTTPRouteDestination{
					{Destination: &networking.Destination{Host: s.name, Subset: "v1"}, Weight: 100 - weightV2},
					{Destination: &networking.Destination{Host: s.name, Subset: "v2"}, Weight: weightV2},
				},
			}},
		},
	}
}

// serviceEntry is the service as a MESH_INTERNAL ServiceEntry whose inline
// endpoints carry the pods' IPs and version labels.
func (s syntheticService) serviceEntry(pods int) *networkingv1.ServiceEntry {
	svc := s.service()
	se := &networkingv1.ServiceEntry{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "ServiceEntry"},
		ObjectMeta: s.meta(s.name),
		Spec: networking.ServiceEntry{
			Hosts:      []string{s.name + "." + s.ns + ".svc.cluster.local"},
			Addresses:  []string{svc.Spec.ClusterIP},
			Ports:      []*networking.ServicePort{{Number: 9080, Name: "grpc", Protocol: "GRPC"}},
			Location:   networking.ServiceEntry_MESH_INTERNAL,
			Resolution: networking.ServiceEntry_STATIC,
		},
	}
	for p := 0; p < pods; p++ {
		se.Spec.Endpoints = append(se.Spec.Endpoints, &networking.WorkloadEntry{
			Address: s.podIP(p), Labels: map[string]string{"app": s.name, "version": fmt.Sprintf("v%d", p%2+1)},
		})
	}
	return se
}
