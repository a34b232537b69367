package contract_test

// The contract test: the Helm chart, the injector, the CA, weft-agent's
// bootstrap and weftd's generated config must agree with package contract
// and with each other. Each check compares two or more independent sides,
// so changing any one of them alone (a port in the chart, a path in the
// injector, a constant here) fails it.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/weftmesh/weft/agent/bootstrap"
	"github.com/weftmesh/weft/ca"
	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/injector"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// chartNamespace is not contract.DefaultNamespace on purpose: a value
// hard-coded for weft-system anywhere would pass in weft-system only.
const chartNamespace = "mesh-control"

// The values that open weftd's unauthenticated listeners (values.yaml).
var exposeAll = []string{"plaintextXDS.expose=true", "debug.expose=true"}

// ---------------------------------------------------------------------------
// Rendering the chart with hack/helmrender (Helm's Go SDK, its own module).

var helmrender struct {
	once sync.Once
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if helmrender.bin != "" {
		os.RemoveAll(filepath.Dir(helmrender.bin))
	}
	os.Exit(code)
}

// buildHelmrender builds hack/helmrender once per test binary; the first
// build compiles Helm's SDK (about a minute on 2 cores), later ones hit the
// build cache.
func buildHelmrender() (string, error) {
	helmrender.once.Do(func() {
		dir, err := os.MkdirTemp("", "helmrender")
		if err != nil {
			helmrender.err = err
			return
		}
		helmrender.bin = filepath.Join(dir, "helmrender")
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", helmrender.bin, ".")
		cmd.Dir = "../hack/helmrender"
		// helmrender is its own module; a go.work must not pull it into ours.
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			helmrender.err = fmt.Errorf("building hack/helmrender: %w\n%s", err, out)
		}
	})
	return helmrender.bin, helmrender.err
}

// readInputs reads every file of the chart and of helmrender in this
// process: go test keys its result cache on the files a test opens, and
// helmrender (a child process) opening them would not count, so a cached
// pass could hide a chart edit.
func readInputs() error {
	for _, dir := range []string{"../manifests/charts/weft", "../hack/helmrender"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			_, err = os.ReadFile(path)
			return err
		})
		if err != nil {
			return fmt.Errorf("reading the chart's inputs: %w", err)
		}
	}
	return nil
}

// rendered is the chart's objects by kind and name (one namespace only).
type rendered map[string]map[string][]byte

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// renderChart renders manifests/charts/weft into ns with extra values.
func renderChart(t *testing.T, ns string, set ...string) rendered {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building hack/helmrender (Helm's Go SDK)")
	}
	bin, err := buildHelmrender()
	if err != nil {
		t.Fatal(err)
	}
	if err := readInputs(); err != nil {
		t.Fatal(err)
	}
	chart, err := filepath.Abs("../manifests/charts/weft")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-chart", chart, "-namespace", ns}
	for _, s := range set {
		args = append(args, "-set", s)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helmrender %q: %v\n%s", args, err, stderr.String())
	}
	r, err := parseObjects(out)
	if err != nil {
		t.Fatalf("helmrender %q: %v", args, err)
	}
	return r
}

func parseObjects(data []byte) (rendered, error) {
	r := rendered{}
	for i, doc := range docSeparator.Split(string(data), -1) {
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name, Namespace string
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if head.Kind == "" {
			continue // comments only
		}
		if r[head.Kind] == nil {
			r[head.Kind] = map[string][]byte{}
		}
		r[head.Kind][head.Metadata.Name] = []byte(doc)
	}
	return r, nil
}

// get decodes the rendered object kind/name into into, strictly.
func (r rendered) get(t *testing.T, kind, name string, into any) {
	t.Helper()
	doc, ok := r[kind][name]
	if !ok {
		t.Fatalf("the chart renders no %s %q", kind, name)
	}
	if err := yaml.UnmarshalStrict(doc, into); err != nil {
		t.Fatalf("%s %s: %v", kind, name, err)
	}
}

// weftd is what the chart runs: the container and its --flag=value args.
type weftd struct {
	dep       appsv1.Deployment
	container corev1.Container
	flags     map[string]string
}

func weftdOf(t *testing.T, r rendered) weftd {
	t.Helper()
	var w weftd
	r.get(t, "Deployment", contract.ControlPlaneService, &w.dep)
	cs := w.dep.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("Deployment weftd has %d containers, want 1", len(cs))
	}
	w.container = cs[0]
	w.flags = map[string]string{}
	for _, a := range w.container.Args {
		if k, v, ok := strings.Cut(a, "="); ok {
			w.flags[k] = v
		}
	}
	return w
}

// port is the port weftd listens on for flag, 0 when the chart does not
// pass it (weftd's default, loopback).
func (w weftd) port(t *testing.T, flag string) int {
	t.Helper()
	addr, ok := w.flags[flag]
	if !ok {
		return 0
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("weftd %s=%s: %v", flag, addr, err)
	}
	if host != "" {
		t.Errorf("weftd %s=%s: the chart passes a flag only to listen on all interfaces", flag, addr)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("weftd %s=%s: %v", flag, addr, err)
	}
	return n
}

func (w weftd) declares(port int) bool {
	return slices.ContainsFunc(w.container.Ports, func(p corev1.ContainerPort) bool { return int(p.ContainerPort) == port })
}

// servicePorts maps a Service's ports to their (numeric) target ports.
func servicePorts(t *testing.T, r rendered, name string) map[int]int {
	t.Helper()
	var svc corev1.Service
	r.get(t, "Service", name, &svc)
	out := map[int]int{}
	for _, p := range svc.Spec.Ports {
		if p.TargetPort.Type != intstr.Int {
			t.Errorf("Service %s port %d: targetPort %q must be a number", name, p.Port, p.TargetPort.String())
		}
		out[int(p.Port)] = p.TargetPort.IntValue()
	}
	return out
}

// ---------------------------------------------------------------------------
// The injected pod, as weftd in chartNamespace would inject it.

func injectedPod(t *testing.T, ns string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "reviews-v1-abc", Namespace: "prod", Labels: map[string]string{"app": "reviews"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "reviews:v1",
			Ports: []corev1.ContainerPort{{ContainerPort: 9080}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				HTTPGet: &corev1.HTTPGetAction{Path: "/health", Port: intstr.FromInt32(9080)}}},
		}}},
	}
	out, err := injector.Inject(pod, injector.DefaultSettingsFor(ns))
	if err != nil {
		t.Fatalf("injecting a sample pod: %v", err)
	}
	return out
}

func container(t *testing.T, pod *corev1.Pod, name string) corev1.Container {
	t.Helper()
	for _, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("injected pod has no container %q", name)
	return corev1.Container{}
}

func volume(t *testing.T, pod *corev1.Pod, name string) corev1.Volume {
	t.Helper()
	for _, v := range pod.Spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("injected pod has no volume %q", name)
	return corev1.Volume{}
}

// argAfter returns the value after flag in args ("--flag value" form).
func argAfter(t *testing.T, c corev1.Container, flag string) string {
	t.Helper()
	i := slices.Index(c.Args, flag)
	if i < 0 || i+1 >= len(c.Args) {
		t.Fatalf("container %s args %q lack %s", c.Name, c.Args, flag)
	}
	return c.Args[i+1]
}

// mountPath is where container c mounts volume name, "" if it does not.
func mountPath(c corev1.Container, name string) string {
	for _, m := range c.VolumeMounts {
		if m.Name == name {
			return m.MountPath
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// Tests

// Proxies are pointed at an address the chart serves: the host is a Service
// the chart renders in weftd's namespace, exposing the port, whose target is
// the port weftd's Deployment binds with --secure-addr.
func TestProxiesReachWeftdSecurePort(t *testing.T) {
	r := renderChart(t, chartNamespace)
	w := weftdOf(t, r)
	agent := container(t, injectedPod(t, chartNamespace), contract.AgentContainer)

	secure := w.port(t, contract.WeftdFlagSecureAddr)
	if secure != contract.PortSecure {
		t.Errorf("weftd %s port %d, contract.PortSecure %d", contract.WeftdFlagSecureAddr, secure, contract.PortSecure)
	}
	if !w.declares(secure) {
		t.Errorf("weftd does not declare container port %d (%s)", secure, contract.WeftdFlagSecureAddr)
	}
	for _, flag := range []string{contract.AgentFlagCAAddr, contract.AgentFlagXDSAddr} {
		t.Run(flag, func(t *testing.T) {
			addr := argAfter(t, agent, flag)
			if want := contract.ControlPlaneAddr(chartNamespace); addr != want {
				t.Errorf("injected %s %s, want contract.ControlPlaneAddr(%q) = %s", flag, addr, chartNamespace, want)
			}
			host, p, err := net.SplitHostPort(addr)
			if err != nil {
				t.Fatal(err)
			}
			svc, ns, ok := serviceOfHost(host)
			if !ok || ns != chartNamespace {
				t.Fatalf("injected %s host %q is not a Service in the chart's namespace %s", flag, host, chartNamespace)
			}
			port, _ := strconv.Atoi(p)
			target, ok := servicePorts(t, r, svc)[port]
			if !ok {
				t.Fatalf("Service %s exposes no port %d (injected %s %s)", svc, port, flag, addr)
			}
			if target != secure {
				t.Errorf("Service %s port %d targets %d, weftd binds %s on %d", svc, port, target, contract.WeftdFlagSecureAddr, secure)
			}
			if !slices.Contains(ca.ServingNames(chartNamespace, nil), host) {
				t.Errorf("weftd's serving certificate (ca.ServingNames) lacks %q, which proxies verify", host)
			}
		})
	}
}

func portStr(p *int32) string {
	if p == nil {
		return "<unset>"
	}
	return strconv.Itoa(int(*p))
}

// serviceOfHost splits NAME.NAMESPACE.svc.
func serviceOfHost(host string) (name, ns string, ok bool) {
	parts := strings.Split(host, ".")
	if len(parts) != 3 || parts[2] != "svc" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// The API server reaches weftd's webhooks through the Service and port the
// webhook configurations name, which target weftd's --webhook-addr.
func TestWebhooksReachWeftd(t *testing.T) {
	r := renderChart(t, chartNamespace)
	w := weftdOf(t, r)
	webhook := w.port(t, contract.WeftdFlagWebhookAddr)
	if webhook != contract.PortWebhook {
		t.Errorf("weftd %s port %d, contract.PortWebhook %d", contract.WeftdFlagWebhookAddr, webhook, contract.PortWebhook)
	}
	if !w.declares(webhook) {
		t.Errorf("weftd does not declare container port %d", webhook)
	}
	ports := servicePorts(t, r, contract.WebhookService)

	var mutating admissionregv1.MutatingWebhookConfiguration
	r.get(t, "MutatingWebhookConfiguration", injector.WebhookConfigName, &mutating)
	var validating admissionregv1.ValidatingWebhookConfiguration
	r.get(t, "ValidatingWebhookConfiguration", injector.ValidatingConfigName, &validating)
	var refs []*admissionregv1.ServiceReference
	for _, h := range mutating.Webhooks {
		refs = append(refs, h.ClientConfig.Service)
	}
	for _, h := range validating.Webhooks {
		refs = append(refs, h.ClientConfig.Service)
	}
	if len(refs) < 2 {
		t.Fatalf("webhook configurations hold %d webhooks, want the injector and the validator", len(refs))
	}
	for _, ref := range refs {
		switch {
		case ref == nil:
			t.Error("a webhook has no clientConfig.service")
		case ref.Name != contract.WebhookService || ref.Namespace != chartNamespace:
			t.Errorf("webhook calls Service %s/%s, want %s/%s", ref.Namespace, ref.Name, chartNamespace, contract.WebhookService)
		case ref.Port == nil || ports[int(*ref.Port)] != webhook:
			t.Errorf("webhook calls port %s of Service %s, whose ports (port: target) are %v; want one targeting %d", portStr(ref.Port), ref.Name, ports, webhook)
		}
	}
}

// The kubelet probes weftd on --health-addr, the only place /ready is.
func TestProbesUseHealthAddr(t *testing.T) {
	w := weftdOf(t, renderChart(t, chartNamespace))
	health := w.port(t, contract.WeftdFlagHealthAddr)
	if health != contract.PortHealth {
		t.Errorf("weftd %s port %d, contract.PortHealth %d", contract.WeftdFlagHealthAddr, health, contract.PortHealth)
	}
	probes := map[string]*corev1.Probe{"readiness": w.container.ReadinessProbe, "liveness": w.container.LivenessProbe}
	for name, p := range probes {
		if p == nil {
			t.Errorf("no %s probe", name)
			continue
		}
		if got := probePort(p); got != health {
			t.Errorf("%s probe on port %d, weftd serves health on %d", name, got, health)
		}
	}
	if p := w.container.ReadinessProbe; p != nil && (p.HTTPGet == nil || p.HTTPGet.Path != "/ready") {
		t.Errorf("readiness probe %+v, want GET /ready", p.ProbeHandler)
	}
}

func probePort(p *corev1.Probe) int {
	switch {
	case p.HTTPGet != nil:
		return p.HTTPGet.Port.IntValue()
	case p.TCPSocket != nil:
		return p.TCPSocket.Port.IntValue()
	}
	return 0
}

// By default weftd's Services expose only what authenticates its callers;
// the expose values, and only they, open plaintext ADS and debug.
func TestChartExposesNothingUnauthenticatedByDefault(t *testing.T) {
	tests := []struct {
		name         string
		set          []string
		weftdPorts   []int
		loopbackOnly []string // weftd flags the chart must not pass
		passed       map[string]int
		scrape       bool
	}{
		{name: "defaults", weftdPorts: []int{contract.PortSecure},
			loopbackOnly: []string{contract.WeftdFlagXDSAddr, contract.WeftdFlagDebugAddr}},
		{name: "exposed", set: exposeAll,
			weftdPorts: []int{contract.PortXDSPlaintext, contract.PortSecure, contract.PortDebug},
			passed:     map[string]int{contract.WeftdFlagXDSAddr: contract.PortXDSPlaintext, contract.WeftdFlagDebugAddr: contract.PortDebug},
			scrape:     true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := renderChart(t, chartNamespace, tt.set...)
			w := weftdOf(t, r)
			if got := sortedKeys(servicePorts(t, r, contract.ControlPlaneService)); !slices.Equal(got, tt.weftdPorts) {
				t.Errorf("Service %s ports %v, want %v", contract.ControlPlaneService, got, tt.weftdPorts)
			}
			if got := sortedKeys(servicePorts(t, r, contract.WebhookService)); !slices.Equal(got, []int{443}) {
				t.Errorf("Service %s ports %v, want [443]", contract.WebhookService, got)
			}
			for _, flag := range tt.loopbackOnly {
				if v, ok := w.flags[flag]; ok {
					t.Errorf("weftd gets %s=%s; by default it must keep its loopback default", flag, v)
				}
			}
			for flag, want := range tt.passed {
				if got := w.port(t, flag); got != want {
					t.Errorf("weftd %s port %d, want %d", flag, got, want)
				}
				if !w.declares(want) {
					t.Errorf("weftd does not declare container port %d (%s)", want, flag)
				}
			}
			for port, target := range servicePorts(t, r, contract.ControlPlaneService) {
				if port != target || !w.declares(target) {
					t.Errorf("Service %s port %d targets %d, not a port weftd declares as itself", contract.ControlPlaneService, port, target)
				}
			}
			_, scrape := w.dep.Spec.Template.Annotations["prometheus.io/scrape"]
			if scrape != tt.scrape {
				t.Errorf("prometheus.io/scrape present=%v, want %v (only when /metrics is exposed)", scrape, tt.scrape)
			}
		})
	}
}

// allEqual reports whether every side holds the same value; a function, so
// vet does not flag comparisons of constants that happen to be equal today.
func allEqual(first string, rest ...string) bool {
	for _, s := range rest {
		if s != first {
			return false
		}
	}
	return true
}

func sortedKeys(m map[int]int) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// The CA accepts the token the injector projects, and the root-cert volume
// is the ConfigMap the CA publishes, mounted where weft-agent reads it.
func TestTokenAndRootCert(t *testing.T) {
	pod := injectedPod(t, chartNamespace)
	agent := container(t, pod, contract.AgentContainer)

	tok := volume(t, pod, contract.VolumeToken)
	if tok.Projected == nil || len(tok.Projected.Sources) != 1 || tok.Projected.Sources[0].ServiceAccountToken == nil {
		t.Fatalf("volume %s is not one projected service-account token", tok.Name)
	}
	sat := tok.Projected.Sources[0].ServiceAccountToken
	if !allEqual(sat.Audience, contract.TokenAudience, ca.DefaultAudience) {
		t.Errorf("projected token audience %q; contract.TokenAudience %q, ca.DefaultAudience %q", sat.Audience, contract.TokenAudience, ca.DefaultAudience)
	}
	if got := mountPath(agent, tok.Name) + "/" + sat.Path; got != contract.TokenPath {
		t.Errorf("token at %s in weft-agent, contract.TokenPath %s", got, contract.TokenPath)
	}

	root := volume(t, pod, contract.VolumeRootCert)
	if root.ConfigMap == nil || !allEqual(root.ConfigMap.Name, contract.RootCertConfigMap, ca.RootCertConfigMap) {
		t.Fatalf("volume %s %+v: want ConfigMap %s (ca publishes %s)", root.Name, root.VolumeSource, contract.RootCertConfigMap, ca.RootCertConfigMap)
	}
	if !allEqual(ca.RootCertKey, contract.RootCertKey) {
		t.Errorf("ca publishes key %s, contract.RootCertKey %s", ca.RootCertKey, contract.RootCertKey)
	}
	if got := mountPath(agent, root.Name) + "/" + ca.RootCertKey; got != contract.RootCertPath {
		t.Errorf("root bundle at %s in weft-agent, contract.RootCertPath %s", got, contract.RootCertPath)
	}
}

// weft-agent writes the Envoy bootstrap and serves SDS where istio-proxy
// looks for them, on volumes both containers mount at the same place.
func TestSidecarSharedPaths(t *testing.T) {
	pod := injectedPod(t, chartNamespace)
	agent := container(t, pod, contract.AgentContainer)
	proxy := container(t, pod, contract.ProxyContainer)
	tests := []struct {
		volume, dir, file string
	}{
		{contract.VolumeEnvoy, contract.EnvoyDir, contract.EnvoyBootstrap},
		{contract.VolumeSDS, contract.SDSSocketDir, contract.SDSSocket},
	}
	for _, tt := range tests {
		t.Run(tt.volume, func(t *testing.T) {
			if a, p := mountPath(agent, tt.volume), mountPath(proxy, tt.volume); a != tt.dir || p != tt.dir {
				t.Errorf("volume %s mounted at %q (weft-agent) and %q (istio-proxy), want %s", tt.volume, a, p, tt.dir)
			}
			if filepath.Dir(tt.file) != tt.dir {
				t.Errorf("%s is not in %s", tt.file, tt.dir)
			}
		})
	}
	if script := strings.Join(proxy.Command, " "); !strings.Contains(script, "-c "+contract.EnvoyBootstrap) {
		t.Errorf("istio-proxy does not start Envoy from %s: %q", contract.EnvoyBootstrap, script)
	}
	pi := volume(t, pod, contract.VolumePodInfo)
	if pi.DownwardAPI == nil || len(pi.DownwardAPI.Items) != 1 ||
		mountPath(agent, pi.Name)+"/"+pi.DownwardAPI.Items[0].Path != contract.LabelsFile {
		t.Errorf("volume %s does not put the labels at %s in weft-agent", pi.Name, contract.LabelsFile)
	}
}

// The sidecar's own ports are never captured inbound, and the rewritten
// app probes reach weft-agent's status port.
func TestSidecarPorts(t *testing.T) {
	pod := injectedPod(t, chartNamespace)
	init := container(t, pod, contract.InitContainer)
	excluded := strings.Split(argAfter(t, init, "--exclude-inbound-ports"), ",")
	for _, p := range []int{contract.PortAgentStatus, contract.PortReadiness, contract.PortPrometheus} {
		if !slices.Contains(excluded, strconv.Itoa(p)) {
			t.Errorf("istio-init --exclude-inbound-ports %v lacks %d", excluded, p)
		}
	}
	for flag, want := range map[string]int{"--outbound-port": contract.PortOutbound, "--inbound-port": contract.PortInbound, "--proxy-uid": contract.ProxyUID} {
		if got := argAfter(t, init, flag); got != strconv.Itoa(want) {
			t.Errorf("istio-init %s %s, want %d", flag, got, want)
		}
	}
	if _, port, _ := net.SplitHostPort(contract.AgentStatusAddr); port != strconv.Itoa(contract.PortAgentStatus) {
		t.Errorf("contract.AgentStatusAddr %s is not on PortAgentStatus %d", contract.AgentStatusAddr, contract.PortAgentStatus)
	}
	app := container(t, pod, "app")
	if p := app.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Port.IntValue() != contract.PortAgentStatus {
		t.Errorf("app readiness probe %+v, want it rewritten to weft-agent's %d", p, contract.PortAgentStatus)
	}
}

// The names the agent's bootstrap declares are the ones weftd's generated
// config refers to.
func TestSDSNames(t *testing.T) {
	tests := []struct{ name, agent, pilot, contract string }{
		{"SDS cluster", bootstrap.SDSCluster, build.SDSCluster, contract.SDSCluster},
		{"workload secret", bootstrap.SecretWorkload, build.SecretWorkload, contract.SecretWorkload},
		{"root secret", bootstrap.SecretRootCA, build.SecretRootCA, contract.SecretRootCA},
		{"cert provider", bootstrap.CertProviderInstance, build.CertProviderInstance, contract.CertProviderInstance},
	}
	for _, tt := range tests {
		if !allEqual(tt.agent, tt.pilot, tt.contract) {
			t.Errorf("%s: agent/bootstrap %q, pilot/xds/build %q, contract %q", tt.name, tt.agent, tt.pilot, tt.contract)
		}
	}
}

// weftd's certificate covers every name a proxy may dial it by.
func TestServingNames(t *testing.T) {
	names := ca.ServingNames(chartNamespace, nil)
	for _, want := range []string{contract.ControlPlaneHost(chartNamespace), contract.IstiodAlias + "." + chartNamespace + ".svc"} {
		if !slices.Contains(names, want) {
			t.Errorf("ca.ServingNames(%q) = %v lacks %s", chartNamespace, names, want)
		}
	}
}
