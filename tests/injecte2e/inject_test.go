package injecte2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/weftmesh/weft/injector"
	"github.com/weftmesh/weft/tests/harness"
	"github.com/weftmesh/weft/tests/kubeenv"
)

const webhookName = "sidecar-injector.weft.io"

// TestInjectionThroughAPIServer: kubectl apply of Deployments; the pods
// their ReplicaSets create carry the sidecar only where selected, and an
// invalid annotation comes back from the API as the webhook's message.
func TestInjectionThroughAPIServer(t *testing.T) {
	kubeenv.RequirePrivateNetwork(t)
	env := kubeenv.Shared(t, kubeenv.Options{BindAddress: kubeenv.NamespaceHostIP})
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Kubectl("apply", "-f", filepath.Join(root, "manifests", "crds")); err != nil {
		t.Fatal(err)
	}
	weftNS := env.Namespace(t)
	addr, err := harness.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	createWebhookConfig(t, env, addr, weftNS)
	harness.StartWeftd(t, harness.WeftdOptions{Kubeconfig: env.Kubeconfig, ReadyTimeout: time.Minute,
		ExtraArgs: []string{"--leader-elect=false", "--namespace=" + weftNS, "--webhook-addr=" + addr}})
	labelled := labelledNamespace(t, env)
	waitWebhookServing(t, env, labelled)

	t.Run("labelled namespace", func(t *testing.T) {
		pod := applyAndWaitPod(t, env, labelled, "reviews", nil)
		requireInjected(t, pod)
	})
	t.Run("custom istio-proxy", func(t *testing.T) {
		doc := customProxyDeploymentYAML(labelled, "custom")
		requireCustomProxy(t, applyYAMLAndWaitPod(t, env, labelled, "custom", doc))
	})
	t.Run("unlabelled namespace", func(t *testing.T) {
		pod := applyAndWaitPod(t, env, env.Namespace(t), "plain", nil)
		requireNotInjected(t, pod)
	})
	t.Run("other revision", func(t *testing.T) {
		ns := env.Namespace(t)
		if _, err := env.Kubectl("label", "namespace", ns, injector.LabelRev+"=canary"); err != nil {
			t.Fatal(err)
		}
		requireNotInjected(t, applyAndWaitPod(t, env, ns, "canary", nil))
	})
	t.Run("opt-out label", func(t *testing.T) {
		pod := applyAndWaitPod(t, env, labelled, "optout", map[string]string{injector.AnnInject: "false"})
		requireNotInjected(t, pod)
	})
	t.Run("validate endpoint", func(t *testing.T) { checkValidateEndpoint(t, env, addr, labelled) })
	t.Run("validator fails closed once verified", func(t *testing.T) { checkValidatorFailsClosed(t, env, addr) })
	t.Run("invalid annotation", func(t *testing.T) {
		_, err := env.KubectlInput(podYAML(labelled, "bad", `sidecar.istio.io/proxyCPU: "lots"`), "apply", "-f", "-")
		if err == nil {
			t.Fatal("pod with an invalid annotation was admitted")
		}
		for _, want := range []string{webhookName, "denied the request", `sidecar.istio.io/proxyCPU="lots"`, "not a Kubernetes quantity"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("API error lacks %q: %v", want, err)
			}
		}
	})
}

// createWebhookConfig registers the webhook without a caBundle: weftd
// fills it in from its CA root when it starts. weftd's own namespace is
// excluded so a broken webhook cannot block the control plane's pods.
func createWebhookConfig(t *testing.T, env *kubeenv.Env, addr, weftNS string) {
	t.Helper()
	fail, none := admissionregv1.Fail, admissionregv1.SideEffectClassNone
	cfg := &admissionregv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: injector.WebhookConfigName},
		Webhooks: []admissionregv1.MutatingWebhook{{
			Name:                    webhookName,
			ClientConfig:            admissionregv1.WebhookClientConfig{URL: ptr.To("https://" + addr + "/inject")},
			Rules:                   []admissionregv1.RuleWithOperations{{Operations: []admissionregv1.OperationType{admissionregv1.Create}, Rule: admissionregv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}},
			FailurePolicy:           &fail,
			SideEffects:             &none,
			TimeoutSeconds:          ptr.To[int32](10),
			AdmissionReviewVersions: []string{"v1"},
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"kube-system", weftNS}}}},
		}},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	api := env.Client.AdmissionregistrationV1().MutatingWebhookConfigurations()
	if _, err := api.Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Delete(context.Background(), cfg.Name, metav1.DeleteOptions{}) })
}

func labelledNamespace(t *testing.T, env *kubeenv.Env) string {
	ns := env.Namespace(t)
	if _, err := env.Kubectl("label", "namespace", ns, injector.LabelInjection+"=enabled"); err != nil {
		t.Fatal(err)
	}
	return ns
}

// waitWebhookServing retries a server-side dry run until the API server
// trusts the webhook (caBundle patched, certificate issued), at most 90 s.
func waitWebhookServing(t *testing.T, env *kubeenv.Env, ns string) {
	t.Helper()
	var last error
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		out, err := env.KubectlInput(podYAML(ns, "probe", ""), "apply", "--dry-run=server", "-o", "yaml", "-f", "-")
		if err == nil && strings.Contains(out, injector.ProxyContainerName) {
			return
		}
		last = err
	}
	t.Fatalf("webhook never served a dry run: %v\n%s", last, env.LogTails(20))
}

func podYAML(ns, name, annotations string) string {
	ann := ""
	if annotations != "" {
		ann = "  annotations:\n    " + annotations + "\n"
	}
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + ns + "\n" + ann +
		"spec:\n  containers:\n  - name: app\n    image: example/app:1\n"
}

func deploymentYAML(ns, app string, podLabels map[string]string) string {
	var extra strings.Builder
	for k, v := range podLabels {
		extra.WriteString("        " + k + ": \"" + v + "\"\n")
	}
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + app + "\n  namespace: " + ns + "\nspec:\n" +
		"  replicas: 1\n  selector:\n    matchLabels:\n      app: " + app + "\n  template:\n    metadata:\n      labels:\n" +
		"        app: " + app + "\n" + extra.String() + "    spec:\n      containers:\n      - name: " + app + "\n" +
		"        image: example/" + app + ":1\n        readinessProbe:\n          httpGet:\n            path: /ready\n            port: 9080\n"
}

// applyAndWaitPod applies a Deployment and returns the pod its ReplicaSet
// created (the controller-manager creates it through the API, i.e. through
// the webhook), waiting at most a minute.
func applyAndWaitPod(t *testing.T, env *kubeenv.Env, ns, app string, podLabels map[string]string) *corev1.Pod {
	t.Helper()
	return applyYAMLAndWaitPod(t, env, ns, app, deploymentYAML(ns, app, podLabels))
}

// applyYAMLAndWaitPod is applyAndWaitPod for a Deployment of one's own
// whose pods carry the label app=APP.
func applyYAMLAndWaitPod(t *testing.T, env *kubeenv.Env, ns, app, doc string) *corev1.Pod {
	t.Helper()
	if _, err := env.KubectlInput(doc, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		pods, err := env.Client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=" + app})
		if err == nil && len(pods.Items) > 0 {
			return &pods.Items[0]
		}
	}
	out, _ := env.Kubectl("get", "events", "-n", ns)
	t.Fatalf("no pod for deployment %s/%s within a minute; events:\n%s", ns, app, out)
	return nil
}

func containerNames(pod *corev1.Pod) (initNames, names []string) {
	for _, c := range pod.Spec.InitContainers {
		initNames = append(initNames, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	return initNames, names
}

func requireInjected(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	initNames, names := containerNames(pod)
	// API server 1.36: weftd's "auto" picks native sidecars.
	want := []string{injector.InitContainerName, injector.AgentContainerName, injector.ProxyContainerName}
	if strings.Join(initNames, ",") != strings.Join(want, ",") {
		t.Fatalf("init containers %v, want %v (containers %v)", initNames, want, names)
	}
	for _, c := range pod.Spec.InitContainers[1:] {
		if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			t.Errorf("%s is not a native sidecar", c.Name)
		}
	}
	if pod.Labels[injector.LabelTLSMode] != "istio" || pod.Annotations[injector.AnnStatus] == "" {
		t.Errorf("labels %v annotations %v", pod.Labels, pod.Annotations)
	}
	if p := pod.Spec.Containers[0].ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Port.IntVal != injector.AgentHealthPort {
		t.Errorf("app readiness probe not rewritten through the agent: %+v", p)
	}
}

func requireNotInjected(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	initNames, names := containerNames(pod)
	if len(initNames) != 0 || len(names) != 1 || pod.Annotations[injector.AnnStatus] != "" {
		t.Fatalf("pod %s was injected: init %v containers %v", pod.Name, initNames, names)
	}
}

// checkValidateEndpoint registers weftd's /validate (the mesh kinds'
// validating webhook, served on the same port and certificate) and expects
// a VirtualService whose route weights are all 0 (invalid in Istio too) to
// be refused by it.
func checkValidateEndpoint(t *testing.T, env *kubeenv.Env, addr, ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	mcfg, err := env.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, injector.WebhookConfigName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fail, none := admissionregv1.Fail, admissionregv1.SideEffectClassNone
	vcfg := &admissionregv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "weft-validation-injecte2e"},
		Webhooks: []admissionregv1.ValidatingWebhook{{
			Name: "validation.weft.io",
			ClientConfig: admissionregv1.WebhookClientConfig{URL: ptr.To("https://" + addr + "/validate"),
				CABundle: mcfg.Webhooks[0].ClientConfig.CABundle},
			Rules: []admissionregv1.RuleWithOperations{{Operations: []admissionregv1.OperationType{admissionregv1.Create},
				Rule: admissionregv1.Rule{APIGroups: []string{"networking.istio.io"}, APIVersions: []string{"*"}, Resources: []string{"virtualservices"}}}},
			FailurePolicy: &fail, SideEffects: &none, TimeoutSeconds: ptr.To[int32](10), AdmissionReviewVersions: []string{"v1"},
		}},
	}
	api := env.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	if _, err := api.Create(ctx, vcfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = api.Delete(context.Background(), vcfg.Name, metav1.DeleteOptions{}) }()
	badVS := "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews, namespace: " + ns + "}\n" +
		"spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - {destination: {host: reviews}, weight: 0}\n" +
		"    - {destination: {host: ratings}, weight: 0}\n"
	// The configuration takes effect within a moment; retry briefly.
	var last error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		_, last = env.KubectlInput(badVS, "apply", "--dry-run=server", "-f", "-")
		if last != nil && strings.Contains(last.Error(), `"validation.weft.io" denied the request`) {
			return
		}
	}
	t.Fatalf("invalid VirtualService not refused by weftd's /validate: %v", last)
}

// checkValidatorFailsClosed installs weft-validator as the chart does
// (failurePolicy Ignore, no caBundle) and expects weftd to fill in the
// caBundle and, after proving the webhook rejects an invalid resource,
// switch it to Fail.
func checkValidatorFailsClosed(t *testing.T, env *kubeenv.Env, addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ignore, none := admissionregv1.Ignore, admissionregv1.SideEffectClassNone
	api := env.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	cfg := &admissionregv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: injector.ValidatingConfigName},
		Webhooks: []admissionregv1.ValidatingWebhook{{
			Name:         "validation.weft.io",
			ClientConfig: admissionregv1.WebhookClientConfig{URL: ptr.To("https://" + addr + "/validate")},
			Rules: []admissionregv1.RuleWithOperations{{Operations: []admissionregv1.OperationType{admissionregv1.Create, admissionregv1.Update},
				Rule: admissionregv1.Rule{APIGroups: []string{"networking.istio.io", "security.istio.io"}, APIVersions: []string{"*"}, Resources: []string{"*"}}}},
			FailurePolicy: &ignore, SideEffects: &none, TimeoutSeconds: ptr.To[int32](10), AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if _, err := api.Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = api.Delete(context.Background(), cfg.Name, metav1.DeleteOptions{}) }()
	for ctx.Err() == nil {
		got, err := api.Get(ctx, cfg.Name, metav1.GetOptions{})
		if err == nil && len(got.Webhooks[0].ClientConfig.CABundle) > 0 && *got.Webhooks[0].FailurePolicy == admissionregv1.Fail {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatal("weft-validator did not get weftd's caBundle and failurePolicy Fail within 60s")
}

// customProxyDeploymentYAML is a Deployment whose pod template defines its
// own istio-proxy (Istio's custom injection): a debug image, a CPU request,
// an env var and an HTTP readiness probe on the agent's port.
func customProxyDeploymentYAML(ns, app string) string {
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + app + "\n  namespace: " + ns + "\nspec:\n" +
		"  replicas: 1\n  selector:\n    matchLabels:\n      app: " + app + "\n  template:\n    metadata:\n      labels:\n" +
		"        app: " + app + "\n    spec:\n      containers:\n      - name: " + app + "\n        image: example/" + app + ":1\n" +
		"        readinessProbe:\n          httpGet:\n            path: /ready\n            port: 9080\n" +
		"      - name: istio-proxy\n        image: example/envoy-debug:1\n" +
		"        resources:\n          requests:\n            cpu: 50m\n" +
		"        env:\n        - name: ENVOY_EXTRA\n          value: \"1\"\n" +
		"        readinessProbe:\n          httpGet:\n            path: /healthz/ready\n            port: 15020\n"
}

// requireCustomProxy: one istio-proxy, the native sidecar, carrying the
// user's overrides on top of what injection adds (Envoy's command, mounts,
// the injected volumes); the app is the only regular container.
func requireCustomProxy(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	requireInjected(t, pod)
	initNames, names := containerNames(pod)
	if len(names) != 1 || names[0] != "custom" {
		t.Fatalf("containers %v (init %v), want only the app", names, initNames)
	}
	proxy := pod.Spec.InitContainers[2]
	if proxy.Image != "example/envoy-debug:1" || proxy.Resources.Requests.Cpu().String() != "50m" {
		t.Errorf("istio-proxy lost the user's image or CPU request: %s %v", proxy.Image, proxy.Resources.Requests)
	}
	if p := proxy.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz/ready" || p.Exec != nil {
		t.Errorf("istio-proxy readiness probe is not the user's: %+v", p)
	}
	if !hasEnv(proxy, "ENVOY_EXTRA", "1") || !strings.Contains(strings.Join(proxy.Command, " "), "exec envoy -c") {
		t.Errorf("istio-proxy env %v command %v: want the user's env and the injected command", proxy.Env, proxy.Command)
	}
	requireVolumes(t, pod, proxy, "istio-envoy", "workload-socket", "istio-token", "istiod-ca-cert")
}

func hasEnv(c corev1.Container, name, value string) bool {
	for _, e := range c.Env {
		if e.Name == name && e.Value == value {
			return true
		}
	}
	return false
}

// requireVolumes: each named volume is in the pod once, and the envoy and
// socket ones are mounted into c.
func requireVolumes(t *testing.T, pod *corev1.Pod, c corev1.Container, names ...string) {
	t.Helper()
	count := map[string]int{}
	for _, v := range pod.Spec.Volumes {
		count[v.Name]++
	}
	for _, n := range names {
		if count[n] != 1 {
			t.Errorf("volume %s appears %d times", n, count[n])
		}
	}
	mounted := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounted[m.Name] = true
	}
	if !mounted["istio-envoy"] || !mounted["workload-socket"] {
		t.Errorf("%s mounts %v: want the injected istio-envoy and workload-socket", c.Name, c.VolumeMounts)
	}
}
