package serviceregistry

import (
	networking "istio.io/api/networking/v1alpha3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// NodeLocalities maps each Node's name to the locality its topology labels give.
func NodeLocalities(s *config.Snapshot) map[string]string {
	out := make(map[string]string, len(s.Nodes))
	for _, n := range s.Nodes {
		if loc := mesh.LocalityFromNode(n.Labels); loc != "" {
			out[n.Name] = loc
		}
	}
	return out
}

// PodLocality is the pod's istio-locality (or topology.istio.io/locality)
// label, else its Node's topology labels, as Istio reads it.
func PodLocality(pod *corev1.Pod, nodes map[string]string) string {
	if loc := mesh.LocalityFromLabels(pod.Labels); loc != "" {
		return loc
	}
	return nodes[pod.Spec.NodeName]
}

// sliceEndpointLocality is the pod's locality, else (no pod known) the
// Node the EndpointSlice names.
func sliceEndpointLocality(pod *corev1.Pod, ep discoveryv1.Endpoint, nodes map[string]string) string {
	if pod != nil {
		return PodLocality(pod, nodes)
	}
	if ep.NodeName != nil {
		return nodes[*ep.NodeName]
	}
	return ""
}

// sliceEndpointNode is the pod's Node, else the one the slice names.
func sliceEndpointNode(pod *corev1.Pod, ep discoveryv1.Endpoint) string {
	if pod != nil && pod.Spec.NodeName != "" {
		return pod.Spec.NodeName
	}
	if ep.NodeName != nil {
		return *ep.NodeName
	}
	return ""
}

// workloadEntryLocality is the entry's locality field, else its locality
// label, as Istio reads a WorkloadEntry or ServiceEntry endpoint.
func workloadEntryLocality(w *networking.WorkloadEntry) string {
	if w.GetLocality() != "" {
		return mesh.ParseLocality(w.GetLocality()).String()
	}
	return mesh.LocalityFromLabels(w.GetLabels())
}
