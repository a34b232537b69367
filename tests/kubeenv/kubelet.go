package kubeenv

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodVolumes are an admitted pod's volumes realised on this machine the way
// the kubelet would: emptyDirs as directories, projected service-account
// tokens from the TokenRequest API (with the audience, expiry and pod
// binding the pod asks for), ConfigMaps and downward-API files from the API.
type PodVolumes struct {
	Pod  *corev1.Pod
	dirs map[string]string // volume name → host directory
}

// MountPodVolumes reads the pod as admitted and realises its volumes. It
// waits (bounded) for ConfigMaps the pod mounts, as the kubelet does.
func (e *Env) MountPodVolumes(t testing.TB, ns, name string) *PodVolumes {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pod, err := e.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("kubeenv: pod %s/%s: %v", ns, name, err)
	}
	v := &PodVolumes{Pod: pod, dirs: map[string]string{}}
	root := t.TempDir()
	for _, vol := range pod.Spec.Volumes {
		dir := filepath.Join(root, vol.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := e.fillVolume(ctx, pod, vol, dir); err != nil {
			t.Fatalf("kubeenv: pod %s/%s volume %s: %v", ns, name, vol.Name, err)
		}
		v.dirs[vol.Name] = dir
	}
	return v
}

// fillVolume writes a volume's files; emptyDirs stay empty.
func (e *Env) fillVolume(ctx context.Context, pod *corev1.Pod, vol corev1.Volume, dir string) error {
	switch {
	case vol.EmptyDir != nil:
		return nil
	case vol.ConfigMap != nil:
		return e.writeConfigMap(ctx, pod.Namespace, vol.ConfigMap.Name, vol.ConfigMap.Items, dir)
	case vol.DownwardAPI != nil:
		return writeDownward(pod, vol.DownwardAPI.Items, dir)
	case vol.Projected != nil:
		return e.writeProjected(ctx, pod, vol.Projected.Sources, dir)
	}
	return fmt.Errorf("volume kind not supported by the test kubelet: %+v", vol.VolumeSource)
}

func (e *Env) writeProjected(ctx context.Context, pod *corev1.Pod, sources []corev1.VolumeProjection, dir string) error {
	for _, src := range sources {
		var err error
		switch {
		case src.ServiceAccountToken != nil:
			err = e.writeToken(ctx, pod, src.ServiceAccountToken, dir)
		case src.ConfigMap != nil:
			err = e.writeConfigMap(ctx, pod.Namespace, src.ConfigMap.Name, src.ConfigMap.Items, dir)
		case src.DownwardAPI != nil:
			err = writeDownward(pod, src.DownwardAPI.Items, dir)
		default:
			err = fmt.Errorf("projection not supported by the test kubelet: %+v", src)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeToken asks the TokenRequest API for the pod's service-account token,
// bound to the pod, with the projection's audience and lifetime.
func (e *Env) writeToken(ctx context.Context, pod *corev1.Pod, p *corev1.ServiceAccountTokenProjection, dir string) error {
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: p.ExpirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if p.Audience != "" {
		req.Spec.Audiences = []string{p.Audience}
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	tok, err := e.Client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("token for %s/%s: %w", pod.Namespace, sa, err)
	}
	return os.WriteFile(filepath.Join(dir, p.Path), []byte(tok.Status.Token), 0o600)
}

// writeConfigMap waits for the ConfigMap (a controller may publish it
// after the pod is created) and writes its keys or the listed items.
func (e *Env) writeConfigMap(ctx context.Context, ns, name string, items []corev1.KeyToPath, dir string) error {
	var cm *corev1.ConfigMap
	err := poll(ctx, "configmap "+ns+"/"+name, time.Minute, 200*time.Millisecond, func(ctx context.Context) (bool, string, error) {
		var err error
		cm, err = e.Client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		return err == nil, fmt.Sprint(err), nil
	})
	if err != nil {
		return err
	}
	paths := map[string]string{}
	for k := range cm.Data {
		paths[k] = k
	}
	if len(items) > 0 {
		paths = map[string]string{}
		for _, it := range items {
			paths[it.Key] = it.Path
		}
	}
	for k, p := range paths {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(cm.Data[k]), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeDownward writes downward-API files in the kubelet's formats.
func writeDownward(pod *corev1.Pod, items []corev1.DownwardAPIVolumeFile, dir string) error {
	for _, it := range items {
		if it.FieldRef == nil {
			return fmt.Errorf("downward API item %s: only fieldRef is supported", it.Path)
		}
		val, err := podField(pod, it.FieldRef.FieldPath, "")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, it.Path), []byte(val), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// podField resolves a fieldRef; podIP is what the test kubelet assigns.
func podField(pod *corev1.Pod, path, podIP string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP":
		return podIP, nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	}
	return "", fmt.Errorf("fieldRef %s not supported by the test kubelet", path)
}

// formatMap is the downward API's key="value" lines, sorted.
func formatMap(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s=%s\n", k, strconv.Quote(m[k]))
	}
	return b.String()
}

// HostPath is where a path inside a container is on this machine, through
// the container's volume mounts.
func (v *PodVolumes) HostPath(container, path string) (string, error) {
	c := v.Container(container)
	if c == nil {
		return "", fmt.Errorf("pod %s has no container %s", v.Pod.Name, container)
	}
	for _, m := range c.VolumeMounts {
		if rest, ok := strings.CutPrefix(path, m.MountPath); ok && (rest == "" || rest[0] == '/') {
			return filepath.Join(v.dirs[m.Name], m.SubPath, rest), nil
		}
	}
	return "", fmt.Errorf("%s in container %s is on no volume", path, container)
}

// Container is the pod's container or init container of that name, nil if none.
func (v *PodVolumes) Container(name string) *corev1.Container {
	for _, list := range [][]corev1.Container{v.Pod.Spec.InitContainers, v.Pod.Spec.Containers} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

// ContainerOptions say how to run one container of a pod.
type ContainerOptions struct {
	Container string
	// Binary stands in for the image: it runs as the container's command,
	// or as the image's entrypoint when the container has none.
	Binary string
	// PodIP is the IP the test gives the pod (status.podIP).
	PodIP string
	// Hosts are the names the cluster's DNS would answer for the container
	// (e.g. weftd.weft-system.svc → weftd's pod IP), written to /etc/hosts.
	Hosts map[string]string
	// Env is what the kubelet adds on top of the spec, e.g. KUBERNETES_SERVICE_HOST.
	Env map[string]string
}

// RunContainer runs a container of the pod as the kubelet would, with the
// spec unchanged: command and args with $(VAR) expanded, env resolved
// (fieldRefs from the pod), every volume mounted at its mountPath in a
// private mount namespace, /etc/hosts from Hosts. It runs as root (one
// user namespace for all here). It stops when the test ends.
func (e *Env) RunContainer(t testing.TB, v *PodVolumes, o ContainerOptions) *Container {
	t.Helper()
	c := v.Container(o.Container)
	if c == nil {
		t.Fatalf("kubeenv: pod %s has no container %s", v.Pod.Name, o.Container)
	}
	env, err := containerEnv(v.Pod, c, o)
	if err != nil {
		t.Fatalf("kubeenv: container %s: %v", o.Container, err)
	}
	etc, err := podEtc(t.TempDir(), o.Hosts)
	if err != nil {
		t.Fatal(err)
	}
	args := expandAll(append(slices.Clone(c.Command), c.Args...), env)
	if len(c.Command) > 0 {
		args = args[1:] // the command's own name is the binary standing in for it
	}
	script := mountScript(v, c, etc, o.Binary)
	name := v.Pod.Name + "-" + o.Container
	p, err := startProcess(name, "unshare", append([]string{"--mount", "--propagation", "private", "--", "sh", "-c", script, "sh"}, args...),
		envList(env), e.logPath(name))
	if err != nil {
		t.Fatalf("kubeenv: %v", err)
	}
	t.Logf("kubeenv: running container %s of pod %s/%s (log %s)", o.Container, v.Pod.Namespace, v.Pod.Name, p.logPath)
	t.Cleanup(func() {
		_ = p.stop()
		if t.Failed() {
			t.Logf("container %s log tail:\n%s", name, p.logTail(40))
		}
	})
	return &Container{p: p}
}

// Container is a running container.
type Container struct{ p *process }

// Log is everything the container wrote so far.
func (c *Container) Log() string {
	b, err := os.ReadFile(c.p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// containerEnv is the container's env with fieldRefs resolved, plus PATH
// and what the kubelet adds.
func containerEnv(pod *corev1.Pod, c *corev1.Container, o ContainerOptions) (map[string]string, error) {
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOSTNAME": pod.Name}
	maps.Copy(env, o.Env)
	for _, ev := range c.Env {
		switch {
		case ev.ValueFrom == nil:
			env[ev.Name] = expand(ev.Value, env)
		case ev.ValueFrom.FieldRef != nil:
			val, err := podField(pod, ev.ValueFrom.FieldRef.FieldPath, o.PodIP)
			if err != nil {
				return nil, err
			}
			env[ev.Name] = val
		default:
			return nil, fmt.Errorf("env %s: only value and fieldRef are supported", ev.Name)
		}
	}
	return env, nil
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// expand applies Kubernetes' $(VAR) references; $$ escapes a dollar and
// an unknown reference stays as written.
func expand(s string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		if s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if end := strings.IndexByte(s[i:], ')'); s[i+1] == '(' && end > 0 {
			if v, ok := env[s[i+2:i+end]]; ok {
				b.WriteString(v)
				i += end
				continue
			}
		}
		b.WriteByte('$')
	}
	return b.String()
}

func expandAll(args []string, env map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = expand(a, env)
	}
	return out
}

// podEtc is the container's /etc: the host's resolver files, with /etc/hosts
// answering for the cluster names in hosts.
func podEtc(dir string, hosts map[string]string) (string, error) {
	for _, f := range []string{"resolv.conf", "nsswitch.conf", "passwd", "group"} {
		if b, err := os.ReadFile(filepath.Join("/etc", f)); err == nil {
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
				return "", err
			}
		}
	}
	var b strings.Builder
	b.WriteString("127.0.0.1 localhost\n::1 localhost\n")
	for _, name := range slices.Sorted(maps.Keys(hosts)) {
		fmt.Fprintf(&b, "%s %s\n", hosts[name], name)
	}
	return dir, os.WriteFile(filepath.Join(dir, "hosts"), []byte(b.String()), 0o644)
}

// mountScript mounts the container's view and execs the binary. Sources
// are first bound under a fresh /run, because later mounts (e.g. an
// emptyDir at /tmp) may hide the host paths they come from.
func mountScript(v *PodVolumes, c *corev1.Container, etc, binary string) string {
	const stage = "/run/.kubelet"
	lines := []string{"set -e", "mount -t tmpfs tmpfs /run", "mkdir -p " + stage + "/vol " + stage + "/etc",
		"touch " + stage + "/bin", "mount --bind " + q(binary) + " " + stage + "/bin",
		"mount --bind " + q(etc) + " " + stage + "/etc"}
	for name, dir := range v.dirs {
		lines = append(lines, "mkdir -p "+stage+"/vol/"+q(name), "mount --bind "+q(dir)+" "+stage+"/vol/"+q(name))
	}
	lines = append(lines, "mount --bind "+stage+"/etc /etc")
	for _, m := range c.VolumeMounts {
		src := filepath.Join(stage, "vol", m.Name, m.SubPath)
		lines = append(lines, "mkdir -p "+q(m.MountPath), "mount --bind "+q(src)+" "+q(m.MountPath))
	}
	return strings.Join(append(lines, `exec `+stage+`/bin "$@"`), "\n")
}

// q quotes s for sh.
func q(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
