package main

import (
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/weftmesh/weft/agent"
	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/injector"
)

// The injector's containers run this binary: every flag it passes must
// exist here, and every default it relies on (paths, ports, weftd's
// address) must be where its volumes and ports put things. These checks
// read weft-agent's real flag set, so a default changed here alone, or a
// mount changed in the injector alone, fails.

func injected(t *testing.T) (*corev1.Pod, injector.Settings) {
	t.Helper()
	s := injector.DefaultSettings()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "reviews-v1-abc", Namespace: "prod"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "reviews:v1",
			LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				HTTPGet: &corev1.HTTPGetAction{Path: "/live", Port: intstr.FromInt32(9080)}}},
		}}},
	}
	out, err := injector.Inject(pod, s)
	if err != nil {
		t.Fatalf("inject: %v", err)
	}
	return out, s
}

func containerNamed(t *testing.T, pod *corev1.Pod, name string) corev1.Container {
	t.Helper()
	for _, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("injected pod has no container %s", name)
	return corev1.Container{}
}

func volumeNamed(t *testing.T, pod *corev1.Pod, name string) corev1.Volume {
	t.Helper()
	for _, v := range pod.Spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("injected pod has no volume %s", name)
	return corev1.Volume{}
}

func mountOf(c corev1.Container, volume string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m.MountPath
		}
	}
	return ""
}

// parseInjected parses a container's args with weft-agent's own flags for
// its subcommand, failing on any flag weft-agent does not define.
func parseInjected(t *testing.T, c corev1.Container, sub string, fl *pflag.FlagSet) *pflag.FlagSet {
	t.Helper()
	if len(c.Args) == 0 || c.Args[0] != sub {
		t.Fatalf("%s args %q: want the %s subcommand first", c.Name, c.Args, sub)
	}
	if err := fl.Parse(c.Args[1:]); err != nil {
		t.Fatalf("weft-agent %s rejects the injected args %q: %v", sub, c.Args, err)
	}
	return fl
}

func flagValue(t *testing.T, fl *pflag.FlagSet, name string) string {
	t.Helper()
	f := fl.Lookup(name)
	if f == nil {
		t.Fatalf("weft-agent has no --%s", name)
	}
	return f.Value.String()
}

func TestInjectedAgentMatchesWeftAgentFlags(t *testing.T) {
	for _, env := range []string{"CA_ADDR", "XDS_ADDR", "WEFT_AGENT_MODE"} {
		t.Setenv(env, "") // defaults, not the environment of whoever runs the test
	}
	pod, s := injected(t)
	ag := containerNamed(t, pod, contract.AgentContainer)
	proxy := containerNamed(t, pod, contract.ProxyContainer)
	fl := parseInjected(t, ag, "proxy", proxyCommand().Flags())

	token := volumeNamed(t, pod, contract.VolumeToken).Projected.Sources[0].ServiceAccountToken
	labels := volumeNamed(t, pod, contract.VolumePodInfo).DownwardAPI.Items[0]
	tests := []struct {
		flag, want, why string
	}{
		{"mode", string(agent.ModeEnvoy), "the injector runs Envoy sidecars"},
		{"ca-addr", s.CAAddr, "passed by the injector"},
		{"xds-addr", s.XDSAddr, "passed by the injector"},
		{"token-path", filepath.Join(mountOf(ag, contract.VolumeToken), token.Path), "the projected token volume"},
		{"ca-root", filepath.Join(mountOf(ag, contract.VolumeRootCert), contract.RootCertKey), "the root-cert ConfigMap volume"},
		{"labels-file", filepath.Join(mountOf(ag, contract.VolumePodInfo), labels.Path), "the downward-API volume"},
		{"envoy-bootstrap", filepath.Join(mountOf(proxy, contract.VolumeEnvoy), filepath.Base(contract.EnvoyBootstrap)), "where istio-proxy mounts the bootstrap volume"},
		{"sds-socket", filepath.Join(mountOf(proxy, contract.VolumeSDS), filepath.Base(contract.SDSSocket)), "where istio-proxy mounts the SDS volume"},
	}
	for _, tt := range tests {
		if got := flagValue(t, fl, tt.flag); got != tt.want {
			t.Errorf("weft-agent --%s %q, want %q (%s)", tt.flag, got, tt.want, tt.why)
		}
	}
	for _, v := range []string{contract.VolumeEnvoy, contract.VolumeSDS} {
		if mountOf(ag, v) != mountOf(proxy, v) {
			t.Errorf("volume %s mounted at %q in weft-agent, %q in istio-proxy", v, mountOf(ag, v), mountOf(proxy, v))
		}
	}
	if script := strings.Join(proxy.Command, " "); !strings.Contains(script, "-c "+flagValue(t, fl, "envoy-bootstrap")) {
		t.Errorf("istio-proxy does not start Envoy from weft-agent's --envoy-bootstrap: %q", script)
	}
	checkStatusPort(t, pod, ag, flagValue(t, fl, "status-addr"))
}

// checkStatusPort: the agent's declared port and the rewritten app probes
// are where weft-agent's status server listens by default.
func checkStatusPort(t *testing.T, pod *corev1.Pod, ag corev1.Container, addr string) {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("--status-addr %q: %v", addr, err)
	}
	port, _ := strconv.Atoi(p)
	if len(ag.Ports) != 1 || int(ag.Ports[0].ContainerPort) != port {
		t.Errorf("weft-agent container ports %+v, want only its --status-addr port %d", ag.Ports, port)
	}
	app := containerNamed(t, pod, "app")
	if h := app.LivenessProbe.HTTPGet; h == nil || h.Port.IntValue() != port {
		t.Errorf("rewritten app probe %+v, want weft-agent's status port %d", app.LivenessProbe, port)
	}
}

// Without the injector's flags, weft-agent dials the same weftd the
// injector's defaults point at (they once disagreed on the namespace).
func TestDefaultWeftdMatchesInjector(t *testing.T) {
	t.Setenv("CA_ADDR", "")
	t.Setenv("XDS_ADDR", "")
	fl := proxyCommand().Flags()
	d := injector.DefaultSettings()
	for flag, want := range map[string]string{"ca-addr": d.CAAddr, "xds-addr": d.XDSAddr} {
		if got := flagValue(t, fl, flag); got != want {
			t.Errorf("weft-agent default --%s %q, injector default %q", flag, got, want)
		}
	}
}

func TestInjectedInitMatchesIptablesFlags(t *testing.T) {
	pod, _ := injected(t)
	init := containerNamed(t, pod, contract.InitContainer)
	fl := parseInjected(t, init, "iptables", iptablesCommand().Flags())
	proxy := containerNamed(t, pod, contract.ProxyContainer)
	uid := strconv.FormatInt(*proxy.SecurityContext.RunAsUser, 10)
	if got := flagValue(t, fl, "proxy-uid"); got != uid {
		t.Errorf("istio-init --proxy-uid %s, istio-proxy runs as %s", got, uid)
	}
	excluded := strings.Split(flagValue(t, fl, "exclude-inbound-ports"), ",")
	defaults := strings.Split(iptablesCommand().Flags().Lookup("exclude-inbound-ports").DefValue, ",")
	for _, p := range defaults {
		if !slices.Contains(excluded, p) {
			t.Errorf("istio-init --exclude-inbound-ports %v lacks %s, which weft-agent excludes by default", excluded, p)
		}
	}
}
