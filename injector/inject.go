package injector

import (
	"encoding/json"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// Inject returns a copy of pod with weft's sidecar added. It never modifies
// pod. Pods that opted out, use the host network or are already injected
// (sidecar.istio.io/status) are returned unchanged, so Inject is
// idempotent. Namespace selection is the caller's (Selected); kube-inject
// injects what it is given, like istioctl.
//
// A pod that defines its own istio-init, weft-agent or istio-proxy gets
// each once: the injected container with the pod's laid over it (merge.go).
//
// Every annotation is validated before anything is added: an error names
// the annotation and the value, and no pod is returned.
func Inject(pod *corev1.Pod, s Settings) (*corev1.Pod, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if v, ok := pod.Labels[AnnInject]; ok {
		if _, err := strconv.ParseBool(v); err != nil {
			return nil, fmt.Errorf("invalid label %s=%q: want true or false", AnnInject, v)
		}
	}
	opts, err := parseOptions(pod, s)
	if err != nil {
		return nil, err
	}
	out := pod.DeepCopy()
	if skip(pod) {
		return out, nil
	}
	// The pod's own sidecar containers leave the app's lists before probes
	// are rewritten: their probes are the proxy's, not the app's.
	user, err := takeUserSidecars(out)
	if err != nil {
		return nil, err
	}
	if opts.rewriteProbes {
		if err := rewriteProbes(out, &opts); err != nil {
			return nil, err
		}
	}
	if err := addContainers(out, s, opts, user); err != nil {
		return nil, err
	}
	addVolumes(out)
	addMetadata(out, s)
	return out, nil
}

// addContainers places istio-init first among init containers, then the
// agent and Envoy either as native sidecars or as the first containers,
// each merged with the pod's own container of that name (custom injection).
func addContainers(pod *corev1.Pod, s Settings, o podOptions, user map[string]corev1.Container) error {
	initC := []corev1.Container{initContainer(s, o)}
	sidecars := []corev1.Container{agentContainer(s, o, pod), proxyContainer(s, o)}
	if u, ok := user[ProxyContainerName]; ok {
		followProxyIdentity(&initC[0], &sidecars[0], u)
	}
	if s.NativeSidecars {
		always := corev1.ContainerRestartPolicyAlways
		for i := range sidecars {
			sidecars[i].RestartPolicy = &always
		}
		initC = append(initC, sidecars...)
		sidecars = nil
	}
	if err := applyUser(initC, user); err != nil {
		return err
	}
	if err := applyUser(sidecars, user); err != nil {
		return err
	}
	if len(sidecars)+len(pod.Spec.Containers) == 0 {
		return fmt.Errorf("pod has no container besides the sidecar's: with native sidecars istio-proxy is an init container")
	}
	pod.Spec.InitContainers = append(initC, pod.Spec.InitContainers...)
	pod.Spec.Containers = append(sidecars, pod.Spec.Containers...)
	return nil
}

// injectionStatus is Istio's sidecar.istio.io/status value; its presence
// makes re-injection a no-op.
type injectionStatus struct {
	InitContainers []string `json:"initContainers"`
	Containers     []string `json:"containers"`
	Volumes        []string `json:"volumes"`
	Revision       string   `json:"revision"`
}

func addMetadata(pod *corev1.Pod, s Settings) {
	st := injectionStatus{InitContainers: []string{InitContainerName},
		Containers: []string{AgentContainerName, ProxyContainerName},
		Volumes:    volumeNames(), Revision: revisionName(s.Revision)}
	if s.NativeSidecars {
		st.InitContainers = append(st.InitContainers, st.Containers...)
		st.Containers = nil
	}
	b, _ := json.Marshal(st) // plain strings: cannot fail
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[AnnStatus] = string(b)
	if len(pod.Spec.Containers) > 0 && !s.NativeSidecars {
		if _, ok := pod.Annotations["kubectl.kubernetes.io/default-container"]; !ok {
			pod.Annotations["kubectl.kubernetes.io/default-container"] = firstAppContainer(pod)
		}
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[LabelTLSMode] = "istio"
	setDefault(pod.Labels, LabelCanonName, canonicalName(pod))
	setDefault(pod.Labels, LabelCanonRev, canonicalRevision(pod.Labels))
}

func firstAppContainer(pod *corev1.Pod) string {
	for _, c := range pod.Spec.Containers {
		if c.Name != AgentContainerName && c.Name != ProxyContainerName {
			return c.Name
		}
	}
	return ""
}

func setDefault(m map[string]string, k, v string) {
	if _, ok := m[k]; !ok && v != "" {
		m[k] = v
	}
}

// canonicalName follows Istio: app.kubernetes.io/name, then app, then the
// workload name guessed from generateName (Deployment pods end in -hash-).
func canonicalName(pod *corev1.Pod) string {
	for _, k := range []string{"app.kubernetes.io/name", "app"} {
		if v := pod.Labels[k]; v != "" {
			return v
		}
	}
	return workloadName(pod)
}

func canonicalRevision(labels map[string]string) string {
	for _, k := range []string{"app.kubernetes.io/version", "version"} {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return "latest"
}
