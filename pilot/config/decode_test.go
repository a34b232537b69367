package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodeGoodFiles(t *testing.T) {
	tests := []struct {
		file string
		want []Object // Resource left nil: compared by Key and Origin
	}{
		{"bookinfo.yaml", []Object{
			{Key: Key{"DestinationRule", "default", "reviews"}, Origin: Origin{"bookinfo.yaml", 0, 4}},
			{Key: Key{"VirtualService", "default", "reviews"}, Origin: Origin{"bookinfo.yaml", 1, 22}},
			{Key: Key{"ServiceEntry", "egress", "httpbin-ext"}, Origin: Origin{"bookinfo.yaml", 2, 45}},
		}},
		{"kube.yaml", []Object{
			{Key: Key{"Namespace", "", "bookinfo"}, Origin: Origin{"kube.yaml", 0, 1}},
			{Key: Key{"Service", "bookinfo", "reviews"}, Origin: Origin{"kube.yaml", 1, 7}},
			{Key: Key{"EndpointSlice", "bookinfo", "reviews-abc"}, Origin: Origin{"kube.yaml", 2, 17}},
			{Key: Key{"Pod", "bookinfo", "reviews-v1-1"}, Origin: Origin{"kube.yaml", 3, 31}},
			{Key: Key{"PeerAuthentication", "istio-system", "default"}, Origin: Origin{"kube.yaml", 4, 44}},
			{Key: Key{"AuthorizationPolicy", "bookinfo", "reviews-viewer"}, Origin: Origin{"kube.yaml", 5, 52}},
			{Key: Key{"RequestAuthentication", "bookinfo", "jwt"}, Origin: Origin{"kube.yaml", 6, 69}},
		}},
		{"list.json", []Object{
			{Key: Key{"VirtualService", "bookinfo", "ratings"}, Origin: Origin{"list.json", 0, 1}},
			{Key: Key{"VirtualService", "bookinfo", "details"}, Origin: Origin{"list.json", 0, 1}},
		}},
		{"gateway.json", []Object{
			{Key: Key{"Gateway", "istio-system", "ingress"}, Origin: Origin{"gateway.json", 0, 1}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			objs, errs := Decode(tt.file, readTestdata(t, tt.file))
			for _, e := range errs {
				t.Errorf("unexpected error: %v", e)
			}
			if len(objs) != len(tt.want) {
				t.Fatalf("got %d objects, want %d", len(objs), len(tt.want))
			}
			for i, o := range objs {
				if o.Key != tt.want[i].Key || o.Origin != tt.want[i].Origin {
					t.Errorf("object %d: got %v at %+v, want %v at %+v", i, o.Key, o.Origin, tt.want[i].Key, tt.want[i].Origin)
				}
				if KeyOf(o.Resource) != o.Key {
					t.Errorf("object %d: KeyOf = %v, Key = %v", i, KeyOf(o.Resource), o.Key)
				}
			}
		})
	}
}

// Every served version decodes into the v1 type and is stored as v1, so the
// same config written in another version compares equal.
func TestDecodeNormalizesVersionAndNamespace(t *testing.T) {
	objs, errs := Decode("bookinfo.yaml", readTestdata(t, "bookinfo.yaml"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	vs := objs[1].Resource.(*networkingv1.VirtualService)
	if got := vs.APIVersion; got != "networking.istio.io/v1" {
		t.Errorf("apiVersion = %q, want networking.istio.io/v1", got)
	}
	if got := vs.Spec.Http[1].Route[0].Weight; got != 90 {
		t.Errorf("weight = %d, want 90", got)
	}
	dr := objs[0].Resource.(*networkingv1.DestinationRule)
	if dr.Namespace != "default" {
		t.Errorf("namespace = %q, want default", dr.Namespace)
	}
}

func TestDecodeErrors(t *testing.T) {
	const vsHead = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts: [reviews]\n"
	tests := []struct {
		name, file, in string
		want           Error // Message is matched as a substring
		wantObjs       int
	}{
		{
			name: "malformed YAML in second document",
			file: "bad.yaml",
			in:   vsHead + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: x\n bad: indent\n",
			want: Error{File: "bad.yaml", Doc: 1, Line: 11, Message: "malformed YAML: did not find expected key"}, wantObjs: 1,
		},
		{
			name: "unknown kind",
			file: "kind.yaml",
			in:   "apiVersion: networking.istio.io/v1\nkind: VirtualServce\nmetadata:\n  name: reviews\n",
			want: Error{File: "kind.yaml", Doc: 0, Line: 2, Column: 1, Kind: "VirtualServce", Name: "reviews", Field: "kind", Message: `unknown kind "VirtualServce"`, Reason: ReasonUnknownKind},
		},
		{
			name: "unknown field",
			file: "field.yaml",
			in:   "# leading comment\n" + vsHead + "  http:\n  - route:\n    - destination: {host: reviews}\n      wieght: 100\n",
			want: Error{File: "field.yaml", Doc: 0, Line: 11, Column: 7, Kind: "VirtualService", Namespace: "default", Name: "reviews", Field: "spec.http[0].route[0].wieght", Message: "unknown field"},
		},
		{
			name: "wrong type",
			file: "type.yaml",
			in:   vsHead + "  http:\n  - route:\n    - destination: {host: reviews}\n    - destination: {host: reviews}\n      weight: ten\n",
			want: Error{File: "type.yaml", Doc: 0, Line: 11, Column: 15, Kind: "VirtualService", Namespace: "default", Name: "reviews", Field: "spec.http[0].route[1].weight", Message: `wrong type: got "ten", want integer`},
		},
		{
			name: "wrong type of a block mapping is at its key",
			file: "block.yaml",
			in:   vsHead + "  http:\n    route: []\n",
			want: Error{File: "block.yaml", Doc: 0, Line: 7, Column: 3, Kind: "VirtualService", Namespace: "default", Name: "reviews", Field: "spec.http", Message: "wrong type: got object, want list"},
		},
		{
			name: "unserved version",
			file: "version.yaml",
			in:   "apiVersion: networking.istio.io/v2\nkind: VirtualService\nmetadata: {name: r, namespace: bookinfo}\n",
			want: Error{File: "version.yaml", Line: 1, Column: 1, Kind: "VirtualService", Namespace: "bookinfo", Name: "r", Field: "apiVersion", Message: "does not serve VirtualService", Reason: ReasonUnknownKind},
		},
		{
			name: "missing name",
			file: "name.yaml",
			in:   "apiVersion: v1\nkind: Service\nmetadata: {namespace: bookinfo}\n",
			want: Error{File: "name.yaml", Line: 3, Column: 1, Kind: "Service", Namespace: "bookinfo", Field: "metadata.name", Message: "name is required"},
		},
		{
			name: "duplicate YAML key",
			file: "dup.yaml",
			in:   "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n",
			want: Error{File: "dup.yaml", Line: 4, Column: 3, Kind: "Service", Namespace: "default", Name: "a", Field: "metadata.name", Message: "duplicate field"},
		},
		{
			name: "not a mapping",
			file: "list.yaml",
			in:   "- a\n- b\n",
			want: Error{File: "list.yaml", Line: 1, Column: 1, Message: "must be a mapping"},
		},
		{
			name: "malformed JSON",
			file: "bad.json",
			in:   "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Service\",\n}\n",
			want: Error{File: "bad.json", Line: 4, Message: "malformed JSON"},
		},
		{
			name: "unknown field in list item",
			file: "items.json",
			in:   `{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"}, "spec": {"prots": []}}]}`,
			want: Error{File: "items.json", Line: 1, Column: 192, Kind: "Service", Namespace: "default", Name: "b", Field: "items[1].spec.prots", Message: "unknown field"}, wantObjs: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, errs := Decode(tt.file, []byte(tt.in))
			if len(objs) != tt.wantObjs {
				t.Errorf("got %d objects, want %d", len(objs), tt.wantObjs)
			}
			if len(errs) != 1 {
				t.Fatalf("got %d errors %v, want 1", len(errs), errs)
			}
			assertError(t, errs[0], tt.want)
		})
	}
}

// assertError compares every field of got with want exactly, except that
// want.Message only has to be contained in got.Message.
func assertError(t *testing.T, got *Error, want Error) {
	t.Helper()
	msg := got.Message
	g := *got
	g.Message = want.Message
	if g != want || !strings.Contains(msg, want.Message) {
		t.Errorf("got error  %#v\nwant error %#v", *got, want)
	}
}

func TestDecodeSkipsEmptyDocuments(t *testing.T) {
	in := "---\n# nothing here\n---\n\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a, namespace: ignored}\n---\n"
	objs, errs := Decode("empty.yaml", []byte(in))
	if len(errs) != 0 || len(objs) != 1 {
		t.Fatalf("got %d objects, errors %v; want 1 object", len(objs), errs)
	}
	if want := (Origin{"empty.yaml", 0, 6}); objs[0].Origin != want {
		t.Errorf("origin = %+v, want %+v", objs[0].Origin, want)
	}
	if objs[0].Key != (Key{Kind: "Namespace", Name: "a"}) {
		t.Errorf("key = %v, want cluster-scoped Namespace a", objs[0].Key)
	}
}
