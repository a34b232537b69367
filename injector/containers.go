package injector

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/weftmesh/weft/contract"
)

// bootstrapWait bounds how long Envoy's container waits for the agent's
// bootstrap; past it the container exits and kubelet restarts it.
const bootstrapWaitTenths = 1200

// outboundListening succeeds once Envoy listens on the outbound port (15001,
// hex 3A99 in /proc), i.e. it has its listeners from weftd. /proc avoids
// needing curl in the image.
var outboundListening = []string{"sh", "-c",
	fmt.Sprintf("grep -q ':%04X ' /proc/net/tcp /proc/net/tcp6 2>/dev/null", contract.PortOutbound)}

func initContainer(s Settings, o podOptions) corev1.Container {
	args := []string{"iptables",
		"--proxy-uid", fmt.Sprint(ProxyUID), "--proxy-gid", fmt.Sprint(ProxyUID),
		"--outbound-port", fmt.Sprint(OutboundPort), "--inbound-port", fmt.Sprint(InboundPort),
		"--include-outbound-ip-ranges", o.includeOutCIDRs,
		"--exclude-outbound-ip-ranges", o.excludeOutCIDRs,
		"--exclude-outbound-ports", o.excludeOutPorts,
		"--include-inbound-ports", o.includeInPorts,
		"--exclude-inbound-ports", joinNonEmpty(o.excludeInPorts, contract.JoinPorts(contract.ExcludeInboundPorts)),
	}
	return corev1.Container{
		Name: InitContainerName, Image: s.AgentImage, Command: []string{"weft-agent"}, Args: args,
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
		},
		SecurityContext: &corev1.SecurityContext{
			RunAsUser: ptr.To[int64](0), RunAsGroup: ptr.To[int64](0), RunAsNonRoot: ptr.To(false),
			Privileged: ptr.To(false), AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
			Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "NET_RAW"}, Drop: []corev1.Capability{"ALL"}},
		},
	}
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}

func agentContainer(s Settings, o podOptions, pod *corev1.Pod) corev1.Container {
	c := corev1.Container{
		Name: AgentContainerName, Image: s.AgentImage, Command: []string{"weft-agent"},
		Args: []string{"proxy", contract.AgentFlagMode, contract.AgentModeEnvoy,
			contract.AgentFlagCAAddr, s.CAAddr, contract.AgentFlagXDSAddr, s.XDSAddr,
			contract.AgentFlagLogLevel, agentLogLevel(o.logLevel)},
		Env: agentEnv(pod),
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
		},
		Ports:           []corev1.ContainerPort{{Name: "http-agent", ContainerPort: AgentHealthPort, Protocol: corev1.ProtocolTCP}},
		SecurityContext: proxySecurityContext(),
		VolumeMounts: []corev1.VolumeMount{
			{Name: contract.VolumeToken, MountPath: contract.TokenDir, ReadOnly: true},
			{Name: contract.VolumeRootCert, MountPath: contract.RootCertDir, ReadOnly: true},
			{Name: contract.VolumeEnvoy, MountPath: contract.EnvoyDir},
			{Name: contract.VolumeSDS, MountPath: contract.SDSSocketDir},
			{Name: contract.VolumePodInfo, MountPath: contract.PodInfoDir, ReadOnly: true},
		},
	}
	if o.probers != "" {
		c.Env = append(c.Env, corev1.EnvVar{Name: contract.EnvAppProbers, Value: o.probers})
	}
	return c
}

// agentLogLevel maps Envoy's level names onto weft-agent's slog levels.
func agentLogLevel(l string) string {
	switch l {
	case "trace", "debug":
		return "debug"
	case "warning", "warn":
		return "warn"
	case "error", "critical", "off":
		return "error"
	}
	return "info"
}

func agentEnv(pod *corev1.Pod) []corev1.EnvVar {
	field := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	return []corev1.EnvVar{
		field(contract.EnvPodName, "metadata.name"),
		field(contract.EnvPodNamespace, "metadata.namespace"),
		field(contract.EnvInstanceIP, "status.podIP"),
		field(contract.EnvServiceAccount, "spec.serviceAccountName"),
	}
}

func proxyContainer(s Settings, o podOptions) corev1.Container {
	script := fmt.Sprintf("i=0; until [ -s %[1]s ]; do i=$((i+1)); [ $i -gt %[2]d ] && "+
		"{ echo 'no bootstrap from weft-agent' >&2; exit 1; }; sleep 0.1; done; "+
		"exec envoy -c %[1]s --log-level %[3]s --drain-time-s 45 --local-address-ip-version v4",
		contract.EnvoyBootstrap, bootstrapWaitTenths, envoyLogLevel(o.logLevel))
	c := corev1.Container{
		Name: ProxyContainerName, Image: s.ProxyImage, Command: []string{"sh", "-c", script},
		Resources: o.resources,
		Ports:     []corev1.ContainerPort{{Name: "http-envoy-prom", ContainerPort: PrometheusPort, Protocol: corev1.ProtocolTCP}},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: outboundListening}},
			PeriodSeconds: 2, FailureThreshold: 30,
		},
		SecurityContext: proxySecurityContext(),
		VolumeMounts: []corev1.VolumeMount{
			{Name: contract.VolumeEnvoy, MountPath: contract.EnvoyDir},
			{Name: contract.VolumeSDS, MountPath: contract.SDSSocketDir},
		},
	}
	addHold(&c, s, o)
	return c
}

// addHold delays the application until Envoy has its listeners: a startup
// probe for native sidecars (kubelet starts the next container only after
// it passes), a postStart hook for regular ones (kubelet starts containers
// in order, each after the previous one's postStart returns).
func addHold(c *corev1.Container, s Settings, o podOptions) {
	if !o.hold {
		return
	}
	if s.NativeSidecars {
		c.StartupProbe = &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: outboundListening}},
			PeriodSeconds: 1, FailureThreshold: 600,
		}
		return
	}
	wait := "i=0; until " + strings.Join(outboundListening[2:], " ") +
		"; do i=$((i+1)); [ $i -gt 1200 ] && exit 1; sleep 0.1; done"
	c.Lifecycle = &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{
		Exec: &corev1.ExecAction{Command: []string{"sh", "-c", wait}}}}
}

func envoyLogLevel(l string) string {
	if l == "warn" {
		return "warning"
	}
	return l
}

func proxySecurityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		RunAsUser: ptr.To[int64](ProxyUID), RunAsGroup: ptr.To[int64](ProxyUID), RunAsNonRoot: ptr.To(true),
		Privileged: ptr.To(false), AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
		Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

func volumes() []corev1.Volume {
	return []corev1.Volume{
		{Name: contract.VolumeEnvoy, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
		{Name: contract.VolumeSDS, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: contract.VolumeToken, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience: contract.TokenAudience, ExpirationSeconds: ptr.To[int64](43200), Path: contract.TokenFile}}}}}},
		{Name: contract.VolumeRootCert, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: contract.RootCertConfigMap}}}},
		{Name: contract.VolumePodInfo, VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
			Items: []corev1.DownwardAPIVolumeFile{{Path: contract.LabelsFileKey, FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}}}}}},
	}
}

func volumeNames() []string {
	var n []string
	for _, v := range volumes() {
		n = append(n, v.Name)
	}
	return n
}
