package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/weftmesh/weft/pilot/analysis"
)

// badVS is invalid in Istio too ("total destination weight = 0").
const badVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews}, weight: 0}
    - {destination: {host: ratings}, weight: 0}
`

// splitVS's weights sum to 90: Istio accepts that (a destination receives
// weight/sum), and so must the webhook.
const splitVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews}, weight: 60}
    - {destination: {host: ratings}, weight: 30}
`

const goodVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
`

// review posts one AdmissionReview and returns the response.
func review(t *testing.T, op admissionv1.Operation, yamlObj, namespace string) *admissionv1.AdmissionResponse {
	t.Helper()
	raw, err := yaml.YAMLToJSON([]byte(yamlObj))
	if err != nil {
		t.Fatal(err)
	}
	in := admissionv1.AdmissionReview{Request: &admissionv1.AdmissionRequest{
		UID: "uid-1", Operation: op, Namespace: namespace, Object: runtime.RawExtension{Raw: raw},
	}}
	in.APIVersion, in.Kind = "admission.k8s.io/v1", "AdmissionReview"
	body, _ := json.Marshal(in)
	rec := httptest.NewRecorder()
	(&Handler{}).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body)))
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil || out.Response.UID != "uid-1" {
		t.Fatalf("response %s: %v", rec.Body, err)
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" {
		t.Errorf("response type %s/%s", out.APIVersion, out.Kind)
	}
	return out.Response
}

// The denial carries the CLI's line for the same document, minus the
// file position: the webhook and weftctl validate share one code path.
func TestDenyWithTheCLIMessage(t *testing.T) {
	resp := review(t, admissionv1.Create, badVS, "shop")
	if resp.Allowed || resp.Result == nil || resp.Result.Code != 422 {
		t.Fatalf("bad VirtualService allowed: %+v", resp)
	}
	want := "[IST0106] VirtualService shop/reviews: spec.http[0].route: all 2 destination weights are 0, so no destination would receive traffic: give at least one a weight above 0"
	if resp.Result.Message != want {
		t.Errorf("message %q, want %q", resp.Result.Message, want)
	}
	cli := analysis.Validate([]analysis.Input{{Name: "vs.yaml", Data: []byte(strings.Replace(badVS, "{name: reviews}", "{name: reviews, namespace: shop}", 1))}})
	if len(cli) != 1 || !strings.HasSuffix(cli[0].String(), strings.TrimPrefix(want, "[IST0106] ")) {
		t.Errorf("CLI says %v", cli)
	}
}

func TestAllow(t *testing.T) {
	for name, tc := range map[string]struct {
		op  admissionv1.Operation
		obj string
	}{
		"good create":                {admissionv1.Create, goodVS},
		"good update":                {admissionv1.Update, goodVS},
		"weights not summing to 100": {admissionv1.Create, splitVS},
		"delete of anything":         {admissionv1.Delete, badVS},
		"kind weft does not serve": {admissionv1.Create,
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n"},
	} {
		if resp := review(t, tc.op, tc.obj, "shop"); !resp.Allowed {
			t.Errorf("%s denied: %+v", name, resp.Result)
		}
	}
}

func TestDenySchemaAndName(t *testing.T) {
	resp := review(t, admissionv1.Create, strings.Replace(goodVS, "route:", "rute:", 1), "shop")
	if resp.Allowed || !strings.Contains(resp.Result.Message, "[WFT0001] VirtualService shop/reviews: spec.http[0].rute: unknown field") {
		t.Errorf("unknown field: %+v", resp.Result)
	}
	gen := strings.Replace(goodVS, "{name: reviews}", "{generateName: reviews-}", 1)
	if resp := review(t, admissionv1.Create, gen, "shop"); !resp.Allowed {
		t.Errorf("generateName denied: %+v", resp.Result)
	}
}

func TestMalformedRequests(t *testing.T) {
	for _, tc := range []struct {
		method, body string
		want         int
	}{
		{http.MethodGet, "", http.StatusMethodNotAllowed},
		{http.MethodPost, "{", http.StatusBadRequest},
		{http.MethodPost, `{"kind":"AdmissionReview"}`, http.StatusBadRequest},
	} {
		rec := httptest.NewRecorder()
		(&Handler{}).ServeHTTP(rec, httptest.NewRequest(tc.method, "/validate", strings.NewReader(tc.body)))
		if rec.Code != tc.want {
			t.Errorf("%s %q: HTTP %d, want %d", tc.method, tc.body, rec.Code, tc.want)
		}
	}
}

// What weft accepts but does not act on is admitted with warnings that
// name it; kubectl prints them.
func TestAllowWithWarnings(t *testing.T) {
	budgetDR := "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec: {host: reviews, trafficPolicy: {retryBudget: {minRetryConcurrency: 3}}}\n"
	envoyFilter := "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ef}\nspec: {configPatches: [{applyTo: HTTP_FILTER, patch: {operation: REMOVE}}]}\n"
	for name, tc := range map[string]struct{ obj, want string }{
		"unsupported field": {budgetDR, "[WFT0112] DestinationRule shop/reviews: spec.trafficPolicy.retryBudget: not supported by weft for sidecars"},
		"unsupported kind":  {envoyFilter, "[WFT0115] EnvoyFilter shop/ef: EnvoyFilter is not supported by weft"},
	} {
		resp := review(t, admissionv1.Create, tc.obj, "shop")
		if !resp.Allowed || len(resp.Warnings) != 1 || !strings.HasPrefix(resp.Warnings[0], tc.want) {
			t.Errorf("%s: allowed=%v warnings %q, want one starting %q", name, resp.Allowed, resp.Warnings, tc.want)
		}
	}
	if resp := review(t, admissionv1.Create, goodVS, "shop"); len(resp.Warnings) != 0 {
		t.Errorf("a fully supported VirtualService got warnings %q", resp.Warnings)
	}
}

// With kubectl apply --validate=false the API server drops fields Istio's
// schema lacks before weft sees the object; the last-applied configuration
// still has them, and the webhook says so instead of staying silent.
func TestWarnsAboutFieldsTheAPIServerDropped(t *testing.T) {
	typo := strings.Replace(goodVS, "route:", "rute: x\n    route:", 1)
	applied, err := yaml.YAMLToJSON([]byte(typo))
	if err != nil {
		t.Fatal(err)
	}
	obj := strings.Replace(goodVS, "{name: reviews}", "{name: reviews, annotations: {kubectl.kubernetes.io/last-applied-configuration: '"+string(applied)+"'}}", 1)
	resp := review(t, admissionv1.Create, obj, "shop")
	want := "[WFT0001] VirtualService shop/reviews: spec.http[0].rute: unknown field: the API server dropped it"
	if !resp.Allowed || len(resp.Warnings) != 1 || !strings.HasPrefix(resp.Warnings[0], want) {
		t.Errorf("allowed=%v warnings %q, want one starting %q", resp.Allowed, resp.Warnings, want)
	}
}
