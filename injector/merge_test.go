package injector

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/weftmesh/weft/contract"
)

func podWith(extra ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"app": "p"}},
		Spec: corev1.PodSpec{Containers: append([]corev1.Container{{Name: "app", Image: "example/app:1"}}, extra...)}}
}

// sidecarOf finds name in either list and says which one holds it.
func sidecarOf(t *testing.T, pod *corev1.Pod, name string) (c corev1.Container, inInit bool) {
	t.Helper()
	n := 0
	for i, l := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, x := range l {
			if x.Name == name {
				c, inInit, n = x, i == 0, n+1
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d containers named %s, want 1", n, name)
	}
	return c, inInit
}

func mustInject(t *testing.T, pod *corev1.Pod, native bool) *corev1.Pod {
	t.Helper()
	out, err := Inject(pod, testSettings(native))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCustomProxyPlacement(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	for _, tc := range []struct {
		name         string
		native       bool
		userInInit   bool
		userRestart  *corev1.ContainerRestartPolicy
		wantInInit   bool
		wantRestarts bool
	}{
		{"regular stays regular", false, false, nil, false, false},
		{"regular becomes native sidecar", true, false, nil, true, true},
		{"init listed, no native sidecars: regular, restartPolicy dropped", false, true, &always, false, false},
		{"init listed, native", true, true, nil, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user := corev1.Container{Name: ProxyContainerName, Image: "auto", RestartPolicy: tc.userRestart}
			pod := podWith()
			if tc.userInInit {
				pod.Spec.InitContainers = []corev1.Container{user}
			} else {
				pod.Spec.Containers = append(pod.Spec.Containers, user)
			}
			c, inInit := sidecarOf(t, mustInject(t, pod, tc.native), ProxyContainerName)
			if inInit != tc.wantInInit || (c.RestartPolicy != nil) != tc.wantRestarts {
				t.Errorf("in init %v restartPolicy %v, want in init %v native %v", inInit, c.RestartPolicy, tc.wantInInit, tc.wantRestarts)
			}
			if c.Image != testSettings(false).ProxyImage {
				t.Errorf("image %q: auto should keep the injector's", c.Image)
			}
		})
	}
}

func TestCustomSidecarMergeFields(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hold  bool
		user  corev1.Container
		check func(t *testing.T, c corev1.Container)
	}{
		{"probe without handler keeps our exec, takes the period", false,
			corev1.Container{Name: ProxyContainerName, ReadinessProbe: &corev1.Probe{PeriodSeconds: 7}},
			func(t *testing.T, c corev1.Container) {
				p := c.ReadinessProbe
				if p.Exec == nil || p.PeriodSeconds != 7 || p.FailureThreshold != 30 {
					t.Errorf("probe %+v", p)
				}
			}},
		{"probe handler replaces ours", false,
			corev1.Container{Name: ProxyContainerName, ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				TCPSocket: &corev1.TCPSocketAction{}}}},
			func(t *testing.T, c corev1.Container) {
				if p := c.ReadinessProbe; p.Exec != nil || p.TCPSocket == nil {
					t.Errorf("probe %+v", p)
				}
			}},
		{"preStop added next to the hold hook", true,
			corev1.Container{Name: ProxyContainerName, Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
				Sleep: &corev1.SleepAction{Seconds: 5}}}},
			func(t *testing.T, c corev1.Container) {
				if c.Lifecycle.PostStart == nil || c.Lifecycle.PreStop == nil {
					t.Errorf("lifecycle %+v", c.Lifecycle)
				}
			}},
		{"postStart replaces the hold hook", true,
			corev1.Container{Name: ProxyContainerName, Lifecycle: &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{
				Exec: &corev1.ExecAction{Command: []string{"true"}}}}},
			func(t *testing.T, c corev1.Container) {
				if h := c.Lifecycle.PostStart; h.Exec == nil || strings.Join(h.Exec.Command, " ") != "true" {
					t.Errorf("postStart %+v", h)
				}
			}},
		{"command replaced whole, resources merged per key", false,
			corev1.Container{Name: ProxyContainerName, Command: []string{"envoy", "-c", "/x"},
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}},
			func(t *testing.T, c corev1.Container) {
				r := c.Resources.Requests
				if strings.Join(c.Command, " ") != "envoy -c /x" || r.Cpu().String() != "1" || r.Memory().String() != "128Mi" {
					t.Errorf("command %v requests %v", c.Command, r)
				}
			}},
		{"a limit below our request lowers the request; a request of the user's stays", false,
			corev1.Container{Name: ProxyContainerName, Resources: corev1.ResourceRequirements{
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("100Mi")}}},
			func(t *testing.T, c corev1.Container) {
				r := c.Resources.Requests
				if r.Cpu().String() != "50m" || r.Memory().String() != "100Mi" {
					t.Errorf("requests %v", r)
				}
			}},
		{"env: same name replaces the entry in place, new names go last", false,
			corev1.Container{Name: AgentContainerName, Env: []corev1.EnvVar{{Name: "EXTRA", Value: "$(POD_NAME)"},
				{Name: "POD_NAMESPACE", Value: "fixed"}}},
			func(t *testing.T, c corev1.Container) {
				var names []string
				for _, e := range c.Env {
					names = append(names, e.Name)
				}
				ns := c.Env[1]
				if strings.Join(names, ",") != "POD_NAME,POD_NAMESPACE,INSTANCE_IP,SERVICE_ACCOUNT,EXTRA" ||
					ns.Value != "fixed" || ns.ValueFrom != nil {
					t.Errorf("env %+v", c.Env)
				}
			}},
		{"securityContext merged field by field", false,
			corev1.Container{Name: InitContainerName, SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}},
			func(t *testing.T, c corev1.Container) {
				sc := c.SecurityContext
				if !*sc.Privileged || sc.Capabilities == nil || len(sc.Capabilities.Add) != 2 {
					t.Errorf("securityContext %+v", sc)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := podWith(tc.user)
			if tc.hold {
				pod.Annotations = map[string]string{AnnHold: "true"}
			}
			c, _ := sidecarOf(t, mustInject(t, pod, false), tc.user.Name)
			tc.check(t, c)
		})
	}
}

func TestCustomSidecarErrors(t *testing.T) {
	proxy := corev1.Container{Name: ProxyContainerName, Image: "auto"}
	for _, tc := range []struct {
		name   string
		pod    *corev1.Pod
		native bool
		want   string
	}{
		{"defined twice", func() *corev1.Pod {
			p := podWith(proxy)
			p.Spec.InitContainers = []corev1.Container{proxy}
			return p
		}(), false, "container istio-proxy is defined more than once"},
		{"only the proxy, native", &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{proxy}}},
			true, "no container besides the sidecar's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Inject(tc.pod, testSettings(tc.native))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// Without native sidecars a pod of just istio-proxy is valid: Envoy and the
// agent run as regular containers.
func TestCustomProxyOnlyRegular(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: ProxyContainerName, Image: "auto"}}}}
	out := mustInject(t, pod, false)
	if len(out.Spec.Containers) != 2 {
		t.Fatalf("containers %v", out.Spec.Containers)
	}
}

func TestCustomSidecarStatusAndVolumes(t *testing.T) {
	pod := podWith(corev1.Container{Name: ProxyContainerName, Image: "auto"})
	pod.Spec.Volumes = []corev1.Volume{{Name: contract.VolumeEnvoy, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	out := mustInject(t, pod, true)
	var st injectionStatus
	if err := json.Unmarshal([]byte(out.Annotations[AnnStatus]), &st); err != nil {
		t.Fatal(err)
	}
	if strings.Join(st.InitContainers, ",") != "istio-init,weft-agent,istio-proxy" {
		t.Errorf("status %+v", st)
	}
	var envoy []corev1.Volume
	for _, v := range out.Spec.Volumes {
		if v.Name == contract.VolumeEnvoy {
			envoy = append(envoy, v)
		}
	}
	if len(envoy) != 1 || envoy[0].EmptyDir.Medium != "" || len(out.Spec.Volumes) != len(volumes()) {
		t.Errorf("volumes %+v: the pod's %s should be kept as written, once", out.Spec.Volumes, contract.VolumeEnvoy)
	}
}

// A custom runAsUser/runAsGroup on istio-proxy becomes the identity
// iptables exempts, and the agent's; unset or 0 leaves 1337.
func TestCustomProxyIdentity(t *testing.T) {
	for _, tc := range []struct {
		name             string
		uid, gid         *int64
		wantUID, wantGID string
	}{
		{"uid only", ptr.To[int64](1500), nil, "1500", "1337"},
		{"uid and gid", ptr.To[int64](1000680000), ptr.To[int64](1000680000), "1000680000", "1000680000"},
		{"root ignored", ptr.To[int64](0), nil, "1337", "1337"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := podWith(corev1.Container{Name: ProxyContainerName, Image: "auto",
				SecurityContext: &corev1.SecurityContext{RunAsUser: tc.uid, RunAsGroup: tc.gid}})
			out := mustInject(t, pod, true)
			init, _ := sidecarOf(t, out, InitContainerName)
			args := " " + strings.Join(init.Args, " ") + " "
			if !strings.Contains(args, " --proxy-uid "+tc.wantUID+" ") || !strings.Contains(args, " --proxy-gid "+tc.wantGID+" ") {
				t.Errorf("istio-init args %v, want uid %s gid %s", init.Args, tc.wantUID, tc.wantGID)
			}
			agent, _ := sidecarOf(t, out, AgentContainerName)
			if got := fmt.Sprint(*agent.SecurityContext.RunAsUser, "/", *agent.SecurityContext.RunAsGroup); got != tc.wantUID+"/"+tc.wantGID {
				t.Errorf("agent runs as %s, want %s/%s", got, tc.wantUID, tc.wantGID)
			}
		})
	}
}
