// Package webhook is weft's validating admission webhook for the mesh
// kinds: the same decoding and validation as `weftctl validate`, so a
// rejected `kubectl apply` carries the words the CLI prints.
package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/pilot/analysis"
	"github.com/weftmesh/weft/pilot/config"
)

// maxReviewBytes bounds a request body: the API server caps an object at
// 3 MiB and a review holds it at most twice (object and oldObject).
const maxReviewBytes = 8 << 20

// Handler answers admission.k8s.io/v1 AdmissionReviews.
type Handler struct {
	Logger *slog.Logger
}

// ServeHTTP answers every well-formed AdmissionReview with allowed or
// denied; only malformed requests get an HTTP error.
func (h *Handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
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
	review.Response = h.Review(review.Request)
	review.Response.UID = review.Request.UID
	review.Request = nil
	rw.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(rw).Encode(&review); err != nil {
		h.logger().Warn("writing admission response", "err", err)
	}
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}

// Review decides one request. Deletes and subresources (status written by
// weftd itself) are always allowed: only new content can be invalid.
func (h *Handler) Review(req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	if (req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) || req.SubResource != "" {
		return &admissionv1.AdmissionResponse{Allowed: true}
	}
	msgs := Check(req.Object.Raw, req.Namespace, req.Name)
	if !analysis.HasErrors(msgs) {
		// What weft accepts but does not act on is admitted with a warning kubectl prints.
		return &admissionv1.AdmissionResponse{Allowed: true, Warnings: warnings(msgs)}
	}
	h.logger().Info("admission denied", "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name, "errors", len(msgs))
	return &admissionv1.AdmissionResponse{Result: &metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusUnprocessableEntity,
		Reason:  metav1.StatusReasonInvalid,
		Message: Describe(msgs),
	}}
}

func warnings(msgs []analysis.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, Text(m))
	}
	return out
}

// Check decodes and validates one object as the API server sends it. The
// request's namespace and name fill in what the object leaves out
// (`kubectl apply -n`, generateName) before decoding, so messages name the
// resource as it will be stored. Kinds weft does not serve are not its to
// judge, so they pass.
func Check(raw []byte, namespace, name string) []analysis.Message {
	raw = withIdentity(raw, namespace, name)
	objs, errs := config.Decode("", raw)
	if len(errs) > 0 {
		if unknownKind(errs) {
			return nil
		}
		return schemaMessages(errs)
	}
	var out []analysis.Message
	for _, o := range objs {
		out = append(out, analysis.ValidateObject(o)...)
		out = append(out, prunedFields(o)...)
	}
	return out
}

// unknownKind is true when the only problem is a kind weft does not serve.
func unknownKind(errs []*config.Error) bool {
	return len(errs) == 1 && (errs[0].Field == "kind" || errs[0].Field == "apiVersion")
}

func schemaMessages(errs []*config.Error) []analysis.Message {
	out := make([]analysis.Message, 0, len(errs))
	for _, e := range errs {
		out = append(out, analysis.Message{Code: analysis.CodeSchema, Severity: analysis.Error, Err: e})
	}
	return out
}

// withIdentity sets metadata.namespace and, when missing, metadata.name in
// the raw object; raw is returned unchanged if it is not a JSON object
// (Decode then reports why).
func withIdentity(raw []byte, namespace, name string) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers exactly as sent
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return raw
	}
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	if namespace != "" {
		meta["namespace"] = namespace
	}
	if n, _ := meta["name"].(string); n == "" {
		switch gen, _ := meta["generateName"].(string); {
		case name != "":
			meta["name"] = name
		case gen != "":
			meta["name"] = gen + "xxxxx" // the API server appends 5 characters
		}
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return raw
	}
	return out
}

// Describe renders msgs as the CLI does, minus the file position the API
// server has no use for: "Kind ns/name: field: message", one per line.
func Describe(msgs []analysis.Message) string {
	lines := make([]string, 0, len(msgs))
	for _, m := range msgs {
		lines = append(lines, Text(m))
	}
	return strings.Join(lines, "\n")
}

// Text is one message without its file position.
func Text(m analysis.Message) string {
	e := *m.Err
	e.File, e.Line, e.Column, e.Doc = "", 0, 0, 0
	return fmt.Sprintf("[%s] %s", m.Code, e.Error())
}
