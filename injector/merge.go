package injector

import (
	"encoding/json"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/utils/ptr"
)

// Custom injection (Istio's "Customizing injection"): a pod may define its
// own istio-proxy, and here also istio-init or weft-agent. That container
// is not injected a second time; it is laid over the injected one, the
// user's fields winning, and the result goes where injection puts that
// container. Lists keyed in the Kubernetes API (env by name, ports by
// containerPort, volumeMounts by mountPath) merge entry by entry; plain
// lists such as command and args are replaced.

// autoImage as a sidecar's image means "the injector's image": the API
// server requires some image before the webhook runs.
const autoImage = "auto"

func isSidecarName(name string) bool {
	return name == InitContainerName || name == AgentContainerName || name == ProxyContainerName
}

// takeUserSidecars removes the containers named like an injected one from
// both lists of pod and returns them by name. A name defined twice is an
// error: there is no telling which one the user meant.
func takeUserSidecars(pod *corev1.Pod) (map[string]corev1.Container, error) {
	user := map[string]corev1.Container{}
	var err error
	pod.Spec.InitContainers, err = takeFrom(pod.Spec.InitContainers, user)
	if err != nil {
		return nil, err
	}
	pod.Spec.Containers, err = takeFrom(pod.Spec.Containers, user)
	if err != nil {
		return nil, err
	}
	return user, nil
}

func takeFrom(list []corev1.Container, user map[string]corev1.Container) ([]corev1.Container, error) {
	var kept []corev1.Container
	for _, c := range list {
		if !isSidecarName(c.Name) {
			kept = append(kept, c)
			continue
		}
		if _, dup := user[c.Name]; dup {
			return nil, fmt.Errorf("container %s is defined more than once", c.Name)
		}
		user[c.Name] = c
	}
	return kept, nil
}

// overlay returns injected with the user's container laid over it by a
// strategic merge patch (corev1.Container as the schema). restartPolicy
// stays the injector's: it follows from where the container is placed.
func overlay(injected, user corev1.Container) (corev1.Container, error) {
	injected, user = *injected.DeepCopy(), *user.DeepCopy() // edited below
	if user.Image == autoImage {
		user.Image = ""
	}
	user.RestartPolicy = nil
	dropReplacedHandlers(&injected, &user)
	replaceEnv(injected.Env, user.Env)
	out, err := strategicMerge(injected, user)
	if err != nil {
		return corev1.Container{}, fmt.Errorf("merging pod's %s over the injected one: %w", user.Name, err)
	}
	out.RestartPolicy = injected.RestartPolicy
	fitRequestsToLimits(&out.Resources, user.Resources)
	return out, nil
}

func strategicMerge(base, over corev1.Container) (corev1.Container, error) {
	b, err := toMap(base)
	if err != nil {
		return corev1.Container{}, err
	}
	patch, err := toMap(over)
	if err != nil {
		return corev1.Container{}, err
	}
	keepInjectedOrder(patch, b)
	merged, err := strategicpatch.StrategicMergeMapPatch(b, patch, corev1.Container{})
	if err != nil {
		return corev1.Container{}, err
	}
	return fromMap(merged)
}

// fitRequestsToLimits lowers an injected request above a limit the user
// set without a request of their own, as Kubernetes defaults a missing
// request to the limit; otherwise the API would refuse the pod.
func fitRequestsToLimits(merged *corev1.ResourceRequirements, user corev1.ResourceRequirements) {
	for name, lim := range user.Limits {
		if _, own := user.Requests[name]; own {
			continue
		}
		if req, ok := merged.Requests[name]; ok && req.Cmp(lim) > 0 {
			merged.Requests[name] = lim.DeepCopy()
		}
	}
}

// keyedLists are the Container lists the merge matches entry by entry.
var keyedLists = []struct{ field, key string }{
	{"env", "name"}, {"ports", "containerPort"}, {"volumeMounts", "mountPath"}}

// keepInjectedOrder keeps the injected entries where they were and appends
// the user's new ones (a plain merge puts the patch's entries first): env
// values may refer to earlier variables, e.g. $(POD_NAME). The patch's own
// list must follow the same order, so it is sorted too.
func keepInjectedOrder(patch, base map[string]any) {
	for _, l := range keyedLists {
		user, _ := patch[l.field].([]any)
		if len(user) == 0 {
			continue
		}
		injected, _ := base[l.field].([]any)
		keys := keyOrder(l.key, injected, user)
		sortByKeys(user, l.key, keys)
		order := make([]any, len(keys))
		for i, k := range keys {
			order[i] = map[string]any{l.key: k}
		}
		patch["$setElementOrder/"+l.field] = order
	}
}

func sortByKeys(entries []any, key string, keys []any) {
	rank := map[any]int{}
	for i, k := range keys {
		rank[k] = i
	}
	sort.SliceStable(entries, func(i, j int) bool {
		return rank[keyOf(entries[i], key)] < rank[keyOf(entries[j], key)]
	})
}

// keyOrder lists the keys of a's entries, then those of b's not in a.
func keyOrder(key string, a, b []any) []any {
	var keys []any
	seen := map[any]bool{}
	for _, e := range append(append([]any{}, a...), b...) {
		if k := keyOf(e, key); k != nil && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

func keyOf(entry any, key string) any {
	m, _ := entry.(map[string]any)
	return m[key]
}

func fromMap(m map[string]any) (corev1.Container, error) {
	var c corev1.Container
	b, err := json.Marshal(m)
	if err != nil {
		return c, fmt.Errorf("encoding: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("decoding: %w", err)
	}
	return c, nil
}

// dropReplacedHandlers clears an injected probe or lifecycle handler where
// the user sets one: a probe takes exactly one handler, so a field-wise
// merge of the user's httpGet with our exec would be refused by the API.
// The user's thresholds and periods still merge over ours.
func dropReplacedHandlers(injected, user *corev1.Container) {
	probes := [][2]*corev1.Probe{{injected.ReadinessProbe, user.ReadinessProbe},
		{injected.LivenessProbe, user.LivenessProbe}, {injected.StartupProbe, user.StartupProbe}}
	for _, p := range probes {
		if p[0] != nil && p[1] != nil && hasHandler(p[1].ProbeHandler) {
			p[0].ProbeHandler = corev1.ProbeHandler{}
		}
	}
	if injected.Lifecycle == nil || user.Lifecycle == nil {
		return
	}
	if user.Lifecycle.PostStart != nil && hasLifecycleHandler(*user.Lifecycle.PostStart) {
		injected.Lifecycle.PostStart = nil
	}
	if user.Lifecycle.PreStop != nil && hasLifecycleHandler(*user.Lifecycle.PreStop) {
		injected.Lifecycle.PreStop = nil
	}
}

// replaceEnv makes each injected variable the user also sets the user's
// whole entry: a field-wise merge of the user's value with our valueFrom
// would give a variable with two sources, which the API refuses.
func replaceEnv(injected, user []corev1.EnvVar) {
	byName := map[string]corev1.EnvVar{}
	for _, e := range user {
		byName[e.Name] = e
	}
	for i, e := range injected {
		if u, ok := byName[e.Name]; ok {
			injected[i] = u
		}
	}
}

func hasHandler(h corev1.ProbeHandler) bool {
	return h.Exec != nil || h.HTTPGet != nil || h.TCPSocket != nil || h.GRPC != nil
}

func hasLifecycleHandler(h corev1.LifecycleHandler) bool {
	return h.Exec != nil || h.HTTPGet != nil || h.TCPSocket != nil || h.Sleep != nil
}

// applyUser overlays the user's container of the same name, if any, on
// each injected one.
func applyUser(injected []corev1.Container, user map[string]corev1.Container) error {
	for i, c := range injected {
		u, ok := user[c.Name]
		if !ok {
			continue
		}
		merged, err := overlay(c, u)
		if err != nil {
			return err
		}
		injected[i] = merged
	}
	return nil
}

// followProxyIdentity: when the pod's istio-proxy runs as another UID or
// GID (OpenShift assigns them per namespace), iptables must exempt that
// identity instead of 1337, as Istio does, or Envoy's own traffic loops
// back into it. The agent takes the same identity so that its calls to
// weftd stay exempt too; a pod's own weft-agent settings still win.
func followProxyIdentity(init, agent *corev1.Container, user corev1.Container) {
	sc := user.SecurityContext
	if sc == nil {
		return
	}
	if sc.RunAsUser != nil && *sc.RunAsUser > 0 {
		setArg(init.Args, "--proxy-uid", fmt.Sprint(*sc.RunAsUser))
		agent.SecurityContext.RunAsUser = ptr.To(*sc.RunAsUser)
	}
	if sc.RunAsGroup != nil && *sc.RunAsGroup > 0 {
		setArg(init.Args, "--proxy-gid", fmt.Sprint(*sc.RunAsGroup))
		agent.SecurityContext.RunAsGroup = ptr.To(*sc.RunAsGroup)
	}
}

// setArg replaces the value following flag in args.
func setArg(args []string, flag, value string) {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			args[i+1] = value
		}
	}
}

// addVolumes appends the injected volumes the pod does not already have.
// A volume the user defines under an injected name is kept as the user
// wrote it: merging two different volume sources field by field would
// give a volume with two sources, which the API refuses.
func addVolumes(pod *corev1.Pod) {
	have := map[string]bool{}
	for _, v := range pod.Spec.Volumes {
		have[v.Name] = true
	}
	for _, v := range volumes() {
		if !have[v.Name] {
			pod.Spec.Volumes = append(pod.Spec.Volumes, v)
		}
	}
}
