package injector

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// appProber is one rewritten probe as Istio's pilot-agent reads it from
// ISTIO_KUBE_APP_PROBERS: the original HTTP GET, with the port resolved.
type appProber struct {
	HTTPGet        *corev1.HTTPGetAction `json:"httpGet"`
	TimeoutSeconds int32                 `json:"timeoutSeconds,omitempty"`
}

// rewriteProbes points the app containers' HTTP probes at the agent
// (15020, /app-health/<container>/<kind>): under STRICT mTLS a plaintext
// kubelet probe to the app port would be rejected by Envoy, while 15020 is
// excluded from capture and the agent calls the app from inside the pod.
// The originals go into ISTIO_KUBE_APP_PROBERS on the agent (o.probers).
func rewriteProbes(pod *corev1.Pod, o *podOptions) error {
	probers := map[string]appProber{}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		for kind, p := range map[string]*corev1.Probe{"readyz": c.ReadinessProbe, "livez": c.LivenessProbe, "startupz": c.StartupProbe} {
			if p == nil || p.HTTPGet == nil {
				continue
			}
			path := fmt.Sprintf("/app-health/%s/%s", c.Name, kind)
			orig, err := resolvedHTTPGet(c, p.HTTPGet)
			if err != nil {
				return err
			}
			probers[path] = appProber{HTTPGet: orig, TimeoutSeconds: p.TimeoutSeconds}
			p.HTTPGet = &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(AgentHealthPort), Scheme: corev1.URISchemeHTTP}
		}
	}
	if len(probers) == 0 {
		return nil
	}
	b, err := json.Marshal(probers) // map keys are sorted: stable output
	if err != nil {
		return fmt.Errorf("encoding app probes: %w", err)
	}
	o.probers = string(b)
	return nil
}

// resolvedHTTPGet copies the probe with a named port turned into its
// number, since the agent does not see the app's container spec.
func resolvedHTTPGet(c *corev1.Container, h *corev1.HTTPGetAction) (*corev1.HTTPGetAction, error) {
	out := h.DeepCopy()
	if h.Port.Type == intstr.Int {
		return out, nil
	}
	for _, p := range c.Ports {
		if p.Name == h.Port.StrVal {
			out.Port = intstr.FromInt32(p.ContainerPort)
			return out, nil
		}
	}
	return nil, fmt.Errorf("container %s: probe port %q is not a named port of the container", c.Name, h.Port.StrVal)
}

// workloadName finds the owning workload as Istio does: from the
// controller reference (a ReplicaSet "reviews-v1-5d4f8b7c9" belongs to
// Deployment "reviews-v1"; a Job "report-29012345" to CronJob "report"),
// else the pod's name (kube-inject sets it to the workload's), else its
// generateName.
func workloadName(pod *corev1.Pod) string {
	for _, ref := range pod.OwnerReferences {
		if ref.Controller == nil || !*ref.Controller {
			continue
		}
		switch ref.Kind {
		case "ReplicaSet":
			return trimLastSegment(ref.Name, func(string) bool { return true })
		case "Job":
			return trimLastSegment(ref.Name, isDigits)
		}
		return ref.Name
	}
	if pod.Name != "" {
		return pod.Name
	}
	return strings.TrimSuffix(pod.GenerateName, "-")
}

func trimLastSegment(name string, ok func(string) bool) string {
	i := strings.LastIndex(name, "-")
	if i <= 0 || !ok(name[i+1:]) {
		return name
	}
	return name[:i]
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
