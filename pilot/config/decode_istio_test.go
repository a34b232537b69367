package config

import (
	"strings"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const drHead = "apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {name: d, namespace: shop}\nspec:\n  host: cart\n"

// Every problem of a proto spec is reported at its own line and column,
// and decoding goes on to find the others.
func TestDecodeIstioSpecErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Error // Message is matched as a substring
	}{
		{"bad enum value", drHead + "  trafficPolicy:\n    loadBalancer: {simple: LEAST_CONNX}\n", []Error{
			{Line: 7, Column: 28, Field: "spec.trafficPolicy.loadBalancer.simple", Message: `unknown value "LEAST_CONNX": want one of UNSPECIFIED, LEAST_CONN`}}},
		{"two members of a oneof", drHead + "  trafficPolicy:\n    loadBalancer:\n      simple: RANDOM\n      consistentHash: {httpHeaderName: x}\n", []Error{
			{Line: 9, Column: 7, Field: "spec.trafficPolicy.loadBalancer.consistentHash", Message: "may be set; simple is set too"}}},
		{"bad duration and unknown field, both found", drHead + "  trafficPolicy:\n    connectionPool:\n      tcp: {connectTimeout: 5 seconds, maxConnectionz: 3}\n", []Error{
			{Line: 8, Column: 29, Field: "spec.trafficPolicy.connectionPool.tcp.connectTimeout", Message: `invalid duration "5 seconds"`},
			{Line: 8, Column: 40, Field: "spec.trafficPolicy.connectionPool.tcp.maxConnectionz", Message: "unknown field"}}},
		{"a list where an object belongs", drHead + "  subsets:\n  - name: v1\n    labels: [a, b]\n", []Error{
			{Line: 8, Column: 13, Field: "spec.subsets[0].labels", Message: "wrong type: got list, want object"}}},
		{"number out of range", drHead + "  trafficPolicy:\n    connectionPool: {tcp: {maxConnections: 3000000000}}\n", []Error{
			{Line: 7, Column: 44, Field: "spec.trafficPolicy.connectionPool.tcp.maxConnections", Message: "out of range for a 32-bit integer"}}},
		{"unknown top-level field", drHead + "specs: {}\n", []Error{
			{Line: 6, Column: 1, Field: "specs", Message: "unknown field"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, errs := Decode("dr.yaml", []byte(tt.in))
			if len(objs) != 0 || len(errs) != len(tt.want) {
				t.Fatalf("got %d objects and errors %v, want %d errors", len(objs), errs, len(tt.want))
			}
			for i, w := range tt.want {
				w.File, w.Kind, w.Namespace, w.Name = "dr.yaml", "DestinationRule", "shop", "d"
				assertError(t, errs[i], w)
			}
		})
	}
}

// What Istio's JSON decoding accepts decodes the same: proto field names,
// quoted numbers, enum numbers, Go durations, YAML 1.1 booleans.
func TestDecodeIstioSpecAcceptsWhatIstioDoes(t *testing.T) {
	in := drHead + "  traffic_policy:\n    connectionPool:\n      tcp: {maxConnections: \"7\", connectTimeout: 1m30s}\n" +
		"    tls: {mode: 3, insecureSkipVerify: yes}\n"
	objs, errs := Decode("dr.yaml", []byte(in))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	tp := objs[0].Resource.(*networkingv1.DestinationRule).Spec.GetTrafficPolicy()
	tcp := tp.GetConnectionPool().GetTcp()
	if tcp.GetMaxConnections() != 7 || tcp.GetConnectTimeout().AsDuration().Seconds() != 90 {
		t.Errorf("tcp = %v", tcp)
	}
	if tp.GetTls().GetMode().String() != "ISTIO_MUTUAL" || !tp.GetTls().GetInsecureSkipVerify().GetValue() {
		t.Errorf("tls = %v", tp.GetTls())
	}
}

// Kinds weft does not act on still decode, into Istio's types; Kubernetes
// kinds weft does not read are foreign objects, checked against client-go's
// schema when it has one; an unknown kind in an istio.io group is an error.
func TestDecodeUnimplementedAndForeignKinds(t *testing.T) {
	in := "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ef}\nspec:\n  configPatches: [{applyTo: HTTP_FILTER}]\n" +
		"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n" +
		"---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {anything: [1]}\n" +
		"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\nspec: {replicaz: 2}\n" +
		"---\napiVersion: security.istio.io/v1\nkind: AuthorisationPolicy\nmetadata: {name: ap}\n"
	objs, errs := Decode("mixed.yaml", []byte(in))
	if len(objs) != 3 || len(errs) != 2 {
		t.Fatalf("got %d objects, errors %v; want 3 objects, 2 errors", len(objs), errs)
	}
	if _, ok := objs[0].Resource.(*networkingv1alpha3.EnvoyFilter); !ok || objs[0].Foreign() || Implemented("EnvoyFilter") {
		t.Errorf("EnvoyFilter: got %T foreign=%v", objs[0].Resource, objs[0].Foreign())
	}
	if d, ok := objs[1].Resource.(*appsv1.Deployment); !ok || !objs[1].Foreign() || *d.Spec.Replicas != 2 {
		t.Errorf("Deployment: got %T foreign=%v", objs[1].Resource, objs[1].Foreign())
	}
	if _, ok := objs[2].Resource.(*unstructured.Unstructured); !ok || !objs[2].Foreign() || objs[2].Key.Kind != "Widget" {
		t.Errorf("Widget: got %T %v", objs[2].Resource, objs[2].Key)
	}
	if errs[0].Field != "spec.replicaz" || errs[0].Line != 20 || errs[0].Reason != ReasonForeign {
		t.Errorf("Deployment error = %v (reason %q), want spec.replicaz at line 20, reason Foreign", errs[0], errs[0].Reason)
	}
	if !strings.Contains(errs[1].Message, `unknown kind "AuthorisationPolicy"`) || errs[1].Reason != ReasonUnknownKind {
		t.Errorf("istio.io kind error = %v (reason %q)", errs[1], errs[1].Reason)
	}
	b := NewBuilder()
	for _, o := range objs {
		if err := b.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	if s := b.Finish(); len(s.EnvoyFilters) != 1 || s.Len() != 1 || len(b.Foreign()) != 2 {
		t.Errorf("snapshot holds %d objects (%d EnvoyFilters), %d foreign set aside; want 1, 1, 2", s.Len(), len(s.EnvoyFilters), len(b.Foreign()))
	}
}

// Free-form values (Struct) must have the shape the field wants.
func TestDecodeStructShape(t *testing.T) {
	in := "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ef}\nspec:\n  configPatches:\n  - patch:\n      value: [not, an, object]\n"
	_, errs := Decode("ef.yaml", []byte(in))
	if len(errs) != 1 || errs[0].Field != "spec.configPatches[0].patch.value" || !strings.Contains(errs[0].Message, "want object") || errs[0].Line != 7 {
		t.Fatalf("errors %v, want a wrong-type error at spec.configPatches[0].patch.value, line 7", errs)
	}
}

// A value of the wrong shape written as a block below its key is reported
// on the key's line: that is where the field is.
func TestDecodeWrongBlockAtKey(t *testing.T) {
	in := drHead + "  trafficPolicy:\n    connectionPool:\n      - tcp: {}\n"
	_, errs := Decode("dr.yaml", []byte(in))
	if len(errs) != 1 || errs[0].Line != 7 || errs[0].Field != "spec.trafficPolicy.connectionPool" {
		t.Fatalf("errors %v, want spec.trafficPolicy.connectionPool at line 7 (its key)", errs)
	}
}
