package injector

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestSelected(t *testing.T) {
	enabled := map[string]string{LabelInjection: "enabled"}
	for _, tc := range []struct {
		name     string
		ns       map[string]string
		labels   map[string]string
		ann      map[string]string
		hostNet  bool
		revision string
		want     bool
	}{
		{name: "unlabelled namespace", want: false},
		{name: "istio-injection=enabled", ns: enabled, want: true},
		{name: "istio-injection=disabled", ns: map[string]string{LabelInjection: "disabled"}, labels: map[string]string{AnnInject: "true"}, want: false},
		{name: "enabled selects only the default revision", ns: enabled, revision: "canary", want: false},
		{name: "istio.io/rev matches", ns: map[string]string{LabelRev: "canary"}, revision: "canary", want: true},
		{name: "istio.io/rev other revision", ns: map[string]string{LabelRev: "stable"}, revision: "canary", want: false},
		{name: "istio.io/rev=default is the default revision", ns: map[string]string{LabelRev: "default"}, want: true},
		{name: "pod istio.io/rev", labels: map[string]string{LabelRev: "canary"}, revision: "canary", want: true},
		{name: "pod label opt-out", ns: enabled, labels: map[string]string{AnnInject: "false"}, want: false},
		{name: "pod label opt-in without namespace label", labels: map[string]string{AnnInject: "true"}, want: true},
		{name: "label wins over annotation (false wins)", ns: enabled, labels: map[string]string{AnnInject: "false"}, ann: map[string]string{AnnInject: "true"}, want: false},
		{name: "label wins over annotation (true wins)", labels: map[string]string{AnnInject: "true"}, ann: map[string]string{AnnInject: "false"}, want: true},
		{name: "legacy annotation opt-out", ns: enabled, ann: map[string]string{AnnInject: "false"}, want: false},
		{name: "hostNetwork skipped", ns: enabled, hostNet: true, want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: tc.labels, Annotations: tc.ann},
				Spec: corev1.PodSpec{HostNetwork: tc.hostNet}}
			s := testSettings(false)
			s.Revision = tc.revision
			if got := Selected(pod, tc.ns, s); got != tc.want {
				t.Errorf("Selected = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestInjectAnnotationValidation(t *testing.T) {
	for _, tc := range []struct{ ann, value, wantErr string }{
		{AnnInject, "yes-please", "want true or false"},
		{AnnHold, "sometimes", "want true or false"},
		{AnnRewriteProbes, "2", "want true or false"},
		{AnnProxyConfig, "[a, b]", "not a YAML mapping"},
		{AnnProxyConfig, "holdApplicationUntilProxyStarts: maybe", "want true or false"},
		{AnnProxyCPU, "lots", "not a Kubernetes quantity"},
		{AnnProxyCPU, "-1", "must be positive"},
		{AnnProxyMemory, "12XB", "not a Kubernetes quantity"},
		{AnnProxyCPULim, "1x", "not a Kubernetes quantity"},
		{AnnProxyCPULim, "50m", "limit is below the request 100m"},
		{AnnProxyMemLim, "64Mi", "limit is below the request 128Mi"},
		{AnnLogLevel, "verbose", "want one of trace"},
		{AnnIncludeOutIPs, "10.0.0.0/33", `"10.0.0.0/33" is not a CIDR`},
		{AnnIncludeOutIPs, "10.0.0.1", `"10.0.0.1" is not a CIDR`},
		{AnnExcludeOutIPs, "*", `"*" is not a CIDR`},
		{AnnExcludeOutPts, "80,http", `"http" is not a port`},
		{AnnIncludeInPts, "0", `"0" is not a port`},
		{AnnExcludeInPts, "70000", `"70000" is not a port`},
	} {
		t.Run(tc.ann+"="+tc.value, func(t *testing.T) {
			pod := appPod(map[string]string{tc.ann: tc.value})
			out, err := Inject(pod, testSettings(false))
			if out != nil || err == nil {
				t.Fatalf("Inject accepted %s=%q", tc.ann, tc.value)
			}
			var ae *AnnotationError
			if !errors.As(err, &ae) || ae.Annotation != tc.ann || ae.Value != tc.value {
				t.Fatalf("error %v does not name %s=%q", err, tc.ann, tc.value)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q lacks %q", err, tc.wantErr)
			}
		})
	}
}

func TestInjectValidAnnotationValues(t *testing.T) {
	for _, ann := range []map[string]string{
		{AnnIncludeOutIPs: "*"}, {AnnIncludeOutIPs: ""}, {AnnIncludeInPts: "*"}, {AnnIncludeInPts: ""},
		{AnnExcludeOutIPs: "10.0.0.0/8, fd00::/8"}, {AnnLogLevel: "warn"}, {AnnProxyMemory: "1Gi", AnnProxyMemLim: "1Gi"},
		{AnnProxyConfig: "concurrency: 2"}, {AnnHold: "true"}, {AnnRewriteProbes: "false"},
	} {
		if _, err := Inject(appPod(ann), testSettings(false)); err != nil {
			t.Errorf("%v: %v", ann, err)
		}
	}
}

func TestInjectAllErrorsAtOnce(t *testing.T) {
	_, err := Inject(appPod(map[string]string{AnnLogLevel: "loud", AnnProxyCPU: "x"}), testSettings(false))
	if err == nil || !strings.Contains(err.Error(), AnnLogLevel) || !strings.Contains(err.Error(), AnnProxyCPU) {
		t.Fatalf("want both annotations named, got %v", err)
	}
}

func TestInjectInvalidLabel(t *testing.T) {
	pod := appPod(nil)
	pod.Labels = map[string]string{AnnInject: "nope"}
	if _, err := Inject(pod, testSettings(false)); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("want label error, got %v", err)
	}
}

func TestInjectDoesNotModifyInput(t *testing.T) {
	pod := appPod(map[string]string{AnnHold: "true"})
	before := pod.DeepCopy()
	if _, err := Inject(pod, testSettings(true)); err != nil {
		t.Fatal(err)
	}
	if !equalPods(before, pod) {
		t.Fatal("Inject modified its input")
	}
}

func appPod(ann map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: ann},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "x"}}}}
}
