package serviceregistry

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

type podIndex struct {
	byName map[string]*corev1.Pod // "ns/name"
	byIP   map[string]*corev1.Pod
	nodes  map[string]string // node name → locality
}

func indexPods(s *config.Snapshot) podIndex {
	idx := podIndex{byName: map[string]*corev1.Pod{}, byIP: map[string]*corev1.Pod{}, nodes: NodeLocalities(s)}
	for _, p := range s.Pods {
		idx.byName[p.Namespace+"/"+p.Name] = p
		if p.Status.PodIP != "" {
			idx.byIP[p.Status.PodIP] = p
		}
	}
	return idx
}

// PodFor finds the pod behind an endpoint, by target reference or by IP.
func (idx podIndex) podFor(ns string, ref *corev1.ObjectReference, ip string) *corev1.Pod {
	if ref != nil && ref.Kind == "Pod" {
		refNS := ref.Namespace
		if refNS == "" {
			refNS = ns
		}
		if p := idx.byName[refNS+"/"+ref.Name]; p != nil {
			return p
		}
	}
	return idx.byIP[ip]
}

func kubeServices(s *config.Snapshot, pods podIndex) []*mesh.Service {
	slices := slicesByService(s.EndpointSlices)
	out := make([]*mesh.Service, 0, len(s.Services))
	for _, ks := range s.Services {
		svc := kubeService(ks)
		if own := slices[ks.Namespace+"/"+ks.Name]; len(own) > 0 {
			svc.Endpoints = sliceEndpoints(ks, own, pods)
		} else {
			svc.Endpoints = podEndpoints(ks, s.Pods, pods.nodes)
		}
		out = append(out, svc)
	}
	return out
}

func kubeService(ks *corev1.Service) *mesh.Service {
	svc := &mesh.Service{
		Hostname:  ks.Name + "." + ks.Namespace + "." + config.DomainSuffix,
		Namespace: ks.Namespace,
		Name:      ks.Name,
		Endpoints: map[uint32][]mesh.Endpoint{},
	}
	for _, ip := range append([]string{ks.Spec.ClusterIP}, ks.Spec.ClusterIPs...) {
		if ip != "" && ip != corev1.ClusterIPNone && !contains(svc.Addresses, ip) {
			svc.Addresses = append(svc.Addresses, ip)
		}
	}
	for _, p := range ks.Spec.Ports {
		if p.Protocol != "" && p.Protocol != corev1.ProtocolTCP {
			continue // the mesh carries TCP only
		}
		svc.Ports = append(svc.Ports, mesh.Port{Name: p.Name, Number: uint32(p.Port), Protocol: mesh.ProtocolFromName(p.Name, deref(p.AppProtocol))})
	}
	return svc
}

func slicesByService(all []*discoveryv1.EndpointSlice) map[string][]*discoveryv1.EndpointSlice {
	out := map[string][]*discoveryv1.EndpointSlice{}
	for _, es := range all {
		if name := es.Labels[discoveryv1.LabelServiceName]; name != "" {
			out[es.Namespace+"/"+name] = append(out[es.Namespace+"/"+name], es)
		}
	}
	return out
}

// sliceEndpoints joins slice ports to service ports by name, as kube-proxy does.
func sliceEndpoints(ks *corev1.Service, slices []*discoveryv1.EndpointSlice, pods podIndex) map[uint32][]mesh.Endpoint {
	out := map[uint32][]mesh.Endpoint{}
	for _, sp := range ks.Spec.Ports {
		for _, es := range slices {
			if es.AddressType == discoveryv1.AddressTypeFQDN {
				continue
			}
			for _, port := range es.Ports {
				if deref(port.Name) != sp.Name || port.Port == nil {
					continue
				}
				out[uint32(sp.Port)] = append(out[uint32(sp.Port)], endpointsOf(es, uint32(*port.Port), pods)...)
			}
		}
	}
	return out
}

func endpointsOf(es *discoveryv1.EndpointSlice, port uint32, pods podIndex) []mesh.Endpoint {
	var out []mesh.Endpoint
	for _, ep := range es.Endpoints {
		for _, addr := range ep.Addresses {
			e := mesh.Endpoint{Address: addr, Port: port, Namespace: es.Namespace, Healthy: ep.Conditions.Ready == nil || *ep.Conditions.Ready}
			pod := pods.podFor(es.Namespace, ep.TargetRef, addr)
			if pod != nil {
				e.Labels = pod.Labels
				e.ServiceAccount = serviceAccount(pod)
			}
			e.Locality, e.NodeName = sliceEndpointLocality(pod, ep, pods.nodes), sliceEndpointNode(pod, ep)
			out = append(out, e)
		}
	}
	return out
}

// podEndpoints serves file mode without EndpointSlices: running pods that
// the Service selects become its endpoints.
func podEndpoints(ks *corev1.Service, pods []*corev1.Pod, nodes map[string]string) map[uint32][]mesh.Endpoint {
	out := map[uint32][]mesh.Endpoint{}
	if len(ks.Spec.Selector) == 0 {
		return out
	}
	for _, pod := range pods {
		if pod.Namespace != ks.Namespace || pod.Status.PodIP == "" || !mesh.LabelsMatch(ks.Spec.Selector, pod.Labels) {
			continue
		}
		for _, sp := range ks.Spec.Ports {
			e := mesh.Endpoint{Address: pod.Status.PodIP, Port: targetPort(sp, pod), Labels: pod.Labels,
				ServiceAccount: serviceAccount(pod), Namespace: pod.Namespace, Healthy: podReady(pod), Locality: PodLocality(pod, nodes), NodeName: pod.Spec.NodeName}
			out[uint32(sp.Port)] = append(out[uint32(sp.Port)], e)
		}
	}
	return out
}

func targetPort(sp corev1.ServicePort, pod *corev1.Pod) uint32 {
	tp := sp.TargetPort
	if tp.IntValue() > 0 {
		return uint32(tp.IntValue())
	}
	for _, c := range pod.Spec.Containers {
		for _, cp := range c.Ports {
			if tp.String() != "" && cp.Name == tp.String() {
				return uint32(cp.ContainerPort)
			}
		}
	}
	return uint32(sp.Port)
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return pod.Status.Phase == corev1.PodRunning || pod.Status.Phase == ""
}

func serviceAccount(pod *corev1.Pod) string {
	if pod.Spec.ServiceAccountName != "" {
		return pod.Spec.ServiceAccountName
	}
	return "default"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
