package injector

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxReviewBytes bounds a request body; the API server's own limit for an
// object is 3 MiB, and a review holds it once (plus oldObject on UPDATE).
const maxReviewBytes = 8 << 20

// NamespaceLabels looks up a namespace's labels (weftd: a client-go
// lister, so no API call per admission).
type NamespaceLabels interface {
	NamespaceLabels(ctx context.Context, namespace string) (map[string]string, error)
}

// NamespaceLabelsFunc adapts a function.
type NamespaceLabelsFunc func(ctx context.Context, namespace string) (map[string]string, error)

// NamespaceLabels implements NamespaceLabels.
func (f NamespaceLabelsFunc) NamespaceLabels(ctx context.Context, ns string) (map[string]string, error) {
	return f(ctx, ns)
}

// Webhook is the admission/v1 handler for Pod CREATE.
type Webhook struct {
	Settings   Settings
	Namespaces NamespaceLabels
	Logger     *slog.Logger
}

// ServeHTTP answers every well-formed AdmissionReview with a response
// (allowed, allowed with a patch, or denied with the reason); only
// malformed requests get an HTTP error.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "POST an admission.k8s.io/v1 AdmissionReview", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxReviewBytes+1))
	if err != nil || len(body) > maxReviewBytes {
		http.Error(rw, "request body unreadable or too large", http.StatusBadRequest)
		return
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &review); err != nil || review.Request == nil {
		http.Error(rw, "not an AdmissionReview with a request", http.StatusBadRequest)
		return
	}
	review.Response = w.Review(r.Context(), review.Request)
	review.Response.UID = review.Request.UID
	review.Request = nil
	rw.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(rw).Encode(&review); err != nil {
		w.logger().Warn("writing admission response", "err", err)
	}
}

// Review decides one request.
func (w *Webhook) Review(ctx context.Context, req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	if req.Kind.Kind != "Pod" || req.Operation != admissionv1.Create || req.SubResource != "" {
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		return deny(fmt.Errorf("decoding pod: %w", err), http.StatusBadRequest)
	}
	if pod.Namespace == "" {
		pod.Namespace = req.Namespace
	}
	patch, err := w.patchFor(ctx, &pod)
	if err != nil {
		w.logger().Info("sidecar injection denied", "namespace", req.Namespace, "pod", podName(&pod), "err", err)
		return deny(err, http.StatusUnprocessableEntity)
	}
	resp := &admissionv1.AdmissionResponse{Allowed: true}
	if patch != nil {
		pt := admissionv1.PatchTypeJSONPatch
		resp.Patch, resp.PatchType = patch, &pt
	}
	return resp
}

// patchFor returns nil when the pod is not selected.
func (w *Webhook) patchFor(ctx context.Context, pod *corev1.Pod) ([]byte, error) {
	nsLabels, err := w.Namespaces.NamespaceLabels(ctx, pod.Namespace)
	if err != nil {
		return nil, fmt.Errorf("looking up namespace %s: %w", pod.Namespace, err)
	}
	if !Selected(pod, nsLabels, w.Settings) {
		return nil, nil
	}
	injected, err := Inject(pod, w.Settings)
	if err != nil {
		return nil, fmt.Errorf("weft sidecar injection: %w", err)
	}
	ops, err := CreatePatch(pod, injected)
	if err != nil || len(ops) == 0 {
		return nil, err
	}
	return json.Marshal(ops)
}

func deny(err error, code int32) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{
		Status: metav1.StatusFailure, Message: err.Error(), Code: code, Reason: metav1.StatusReasonInvalid}}
}

func podName(p *corev1.Pod) string {
	if p.Name != "" {
		return p.Name
	}
	return p.GenerateName + "*"
}

func (w *Webhook) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}
