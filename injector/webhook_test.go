package injector

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

func staticNamespaces(labels map[string]string) NamespaceLabels {
	return NamespaceLabelsFunc(func(context.Context, string) (map[string]string, error) { return labels, nil })
}

// podsOf returns the pods (or pod templates as pods) of a golden file, in
// document order, with the name the webhook would see.
func podsOf(t testing.TB, data []byte) []*corev1.Pod {
	var pods []*corev1.Pod
	for _, doc := range docSep.Split(string(data), -1) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatal(err)
		}
		obj := newWorkload(tm.Kind)
		if obj == nil {
			continue
		}
		if err := yaml.Unmarshal([]byte(doc), obj); err != nil {
			t.Fatal(err)
		}
		if p, ok := obj.(*corev1.Pod); ok {
			pods = append(pods, p)
			continue
		}
		meta, tmpl := podTemplate(obj)
		pods = append(pods, &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec})
		pods[len(pods)-1].Name = meta.Name
	}
	return pods
}

func review(t testing.TB, h http.Handler, pod *corev1.Pod) *admissionv1.AdmissionResponse {
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{UID: types.UID("uid-1"), Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Operation: admissionv1.Create, Namespace: "default", Object: runtime.RawExtension{Raw: raw}},
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/inject", bytes.NewReader(body)))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
		t.Fatalf("bad review response %q: %v", rec.Body, err)
	}
	if out.Response.UID != "uid-1" {
		t.Fatalf("response UID %q", out.Response.UID)
	}
	return out.Response
}

// applyPatch applies CreatePatch's operations (paths at most two deep).
func applyPatch(t testing.TB, pod *corev1.Pod, patch []byte) *corev1.Pod {
	var ops []PatchOp
	if err := json.Unmarshal(patch, &ops); err != nil {
		t.Fatal(err)
	}
	m, err := toMap(pod)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		parts := strings.Split(strings.TrimPrefix(op.Path, "/"), "/")
		for i := range parts {
			parts[i] = strings.ReplaceAll(strings.ReplaceAll(parts[i], "~1", "/"), "~0", "~")
		}
		parent := m
		if len(parts) == 2 {
			parent = m[parts[0]].(map[string]any)
		}
		key := parts[len(parts)-1]
		if op.Op == "remove" {
			delete(parent, key)
		} else {
			parent[key] = op.Value
		}
	}
	raw, _ := json.Marshal(m)
	out := &corev1.Pod{}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWebhookMatchesGoldens: the webhook's patch, applied to each golden
// input pod, gives the pod of the same golden's injected file, so webhook
// and kube-inject cannot drift apart.
func TestWebhookMatchesGoldens(t *testing.T) {
	for _, g := range goldens(t) {
		t.Run(g.name, func(t *testing.T) {
			in, _ := os.ReadFile(g.in)
			want, err := os.ReadFile(g.out)
			if err != nil {
				t.Fatal(err)
			}
			h := &Webhook{Settings: g.settings, Namespaces: staticNamespaces(map[string]string{LabelInjection: "enabled"})}
			inPods, wantPods := podsOf(t, in), podsOf(t, want)
			for i, pod := range inPods {
				resp := review(t, h, pod)
				if !resp.Allowed {
					t.Fatalf("pod %s denied: %v", pod.Name, resp.Result)
				}
				got := pod
				if resp.Patch != nil {
					got = applyPatch(t, pod, resp.Patch)
				}
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(wantPods[i])
				if !bytes.Equal(gj, wj) {
					t.Errorf("pod %s: webhook differs from %s\n%s", pod.Name, g.out, lineDiff(string(wj), string(gj)))
				}
			}
		})
	}
}

func TestWebhookUnselectedAndInvalid(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Annotations: map[string]string{AnnProxyCPU: "lots"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "x"}}}}
	s := testSettings(false)
	off := &Webhook{Settings: s, Namespaces: staticNamespaces(nil)}
	if r := review(t, off, pod); !r.Allowed || r.Patch != nil {
		t.Fatalf("unlabelled namespace: allowed=%v patch=%s", r.Allowed, r.Patch)
	}
	on := &Webhook{Settings: s, Namespaces: staticNamespaces(map[string]string{LabelInjection: "enabled"})}
	r := review(t, on, pod)
	if r.Allowed || !strings.Contains(r.Result.Message, `sidecar.istio.io/proxyCPU="lots"`) {
		t.Fatalf("invalid annotation: allowed=%v result=%+v", r.Allowed, r.Result)
	}
}

func TestWebhookRejectsNonReview(t *testing.T) {
	h := &Webhook{Settings: testSettings(false), Namespaces: staticNamespaces(nil)}
	for _, body := range []string{"", "{}", "not json"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/inject", strings.NewReader(body)))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("body %q: status %d", body, rec.Code)
		}
	}
}

// BenchmarkWebhook: one AdmissionReview for a typical pod (two probes,
// annotations) through the HTTP handler, including JSON both ways.
func BenchmarkWebhook(b *testing.B) {
	in, err := os.ReadFile("testdata/pod-probes.yaml")
	if err != nil {
		b.Fatal(err)
	}
	pod := podsOf(b, in)[0]
	raw, _ := json.Marshal(pod)
	body, _ := json.Marshal(admissionv1.AdmissionReview{Request: &admissionv1.AdmissionRequest{UID: "u",
		Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Operation: admissionv1.Create,
		Namespace: "default", Object: runtime.RawExtension{Raw: raw}}})
	h := &Webhook{Settings: testSettings(false), Namespaces: staticNamespaces(map[string]string{LabelInjection: "enabled"})}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/inject", bytes.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// TestWebhookInjectedPodUnchanged: a pod already carrying the sidecar (the
// goldens' outputs) is admitted without a patch.
func TestWebhookInjectedPodUnchanged(t *testing.T) {
	for _, g := range goldens(t) {
		out, err := os.ReadFile(g.out)
		if err != nil {
			t.Fatal(err)
		}
		h := &Webhook{Settings: g.settings, Namespaces: staticNamespaces(map[string]string{LabelInjection: "enabled"})}
		for _, pod := range podsOf(t, out) {
			if r := review(t, h, pod); !r.Allowed || r.Patch != nil {
				t.Errorf("%s pod %s: allowed=%v patch=%s", g.name, pod.Name, r.Allowed, r.Patch)
			}
		}
	}
}
