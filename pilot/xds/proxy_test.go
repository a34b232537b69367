package xds

import (
	"reflect"
	"strings"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/pilot/mesh"
)

func TestParseNode(t *testing.T) {
	md := func(m map[string]any) *structpb.Struct { s, _ := structpb.NewStruct(m); return s }
	tests := []struct {
		name    string
		node    *core.Node
		want    Proxy
		wantErr bool
	}{
		{name: "istio sidecar id", node: &core.Node{Id: "sidecar~10.1.2.3~reviews-v1-abc.shop~shop.svc.cluster.local",
			Metadata: md(map[string]any{"LABELS": map[string]any{"app": "reviews"}, "SERVICE_ACCOUNT": "sa"})},
			want: Proxy{Kind: KindSidecar, IP: "10.1.2.3", Pod: "reviews-v1-abc", Namespace: "shop", IDNamespace: "shop", ServiceAccount: "sa", DNSDomain: "shop.svc.cluster.local"}},
		{name: "proxyless by generator", node: &core.Node{Id: "sidecar~10.1.2.3~c.default~default.svc.cluster.local", Metadata: md(map[string]any{"GENERATOR": "grpc"})},
			want: Proxy{Kind: KindProxyless, IP: "10.1.2.3", Pod: "c", Namespace: "default", IDNamespace: "default", DNSDomain: "default.svc.cluster.local"}},
		{name: "metadata namespace wins", node: &core.Node{Id: "plain-id", Metadata: md(map[string]any{"NAMESPACE": "ns1"})},
			want: Proxy{Kind: KindSidecar, Namespace: "ns1", DNSDomain: "ns1.svc.cluster.local"}},
		{name: "metadata and id namespaces both kept", node: &core.Node{Id: "sidecar~10.1.2.3~c.a~a.svc.cluster.local", Metadata: md(map[string]any{"NAMESPACE": "b"})},
			want: Proxy{Kind: KindSidecar, IP: "10.1.2.3", Pod: "c", Namespace: "b", IDNamespace: "a", DNSDomain: "a.svc.cluster.local"}},
		{name: "no namespace", node: &core.Node{Id: "plain-id"}, wantErr: true},
		{name: "no id", node: &core.Node{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseNode(tt.node)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("want error, got %+v", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := *p
			got.ID, got.Labels = "", nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// Rules scoped by source labels, namespace or port apply only where they match.
func TestRoutesForScoping(t *testing.T) {
	vh := &mesh.VirtualHost{Port: mesh.Port{Number: 80}, HTTPRoutes: []*mesh.HTTPRoute{
		{Name: "from-canary-clients", Matches: []mesh.Match{{SourceLabels: map[string]string{"track": "canary"}}}},
		{Name: "other-ns", Matches: []mesh.Match{{SourceNamespace: "other"}}},
		{Name: "port-8080", Matches: []mesh.Match{{Port: 8080}}},
		{Name: "mixed", Matches: []mesh.Match{{Port: 8080}, {SourceNamespace: "default"}}},
		{Name: "catch-all"},
	}}
	p := &Proxy{Namespace: "default", Labels: map[string]string{"track": "canary"}}
	got := names(RoutesFor(vh, p))
	want := []string{"from-canary-clients", "mixed", "catch-all"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if mixed := RoutesFor(vh, p)[1]; len(mixed.Matches) != 1 || vh.HTTPRoutes[3].Matches[0].Port != 8080 {
		t.Fatalf("mixed rule should keep only its matching match and leave the IR untouched: %+v", mixed.Matches)
	}
	stable := &Proxy{Namespace: "default", Labels: map[string]string{"track": "stable"}}
	if got := names(RoutesFor(vh, stable)); len(got) != 2 || got[0] != "mixed" {
		t.Fatalf("stable client got %v", got)
	}
}

func names(rs []*mesh.HTTPRoute) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

// The pod's labels and service account outrank the proxy's own metadata;
// without a known pod the metadata stays.
func TestWithWorkload(t *testing.T) {
	w := mesh.NewWorkloads([]*mesh.Workload{
		{Name: "reviews-v1-abc", Namespace: "shop", IP: "10.1.2.3", Labels: map[string]string{"version": "v1"}, ServiceAccount: "reviews"},
	})
	claimed := &Proxy{ID: "x", Pod: "reviews-v1-abc", Namespace: "shop", IP: "10.1.2.3", Labels: map[string]string{"version": "v2"}, ServiceAccount: "admin"}
	got := claimed.WithWorkload(w)
	if got.Labels["version"] != "v1" || got.ServiceAccount != "reviews" {
		t.Fatalf("pod identity not applied: %+v", got)
	}
	if claimed.Labels["version"] != "v2" {
		t.Fatal("WithWorkload modified the original proxy")
	}
	byIP := (&Proxy{Namespace: "other", IP: "10.1.2.3"}).WithWorkload(w)
	if byIP.Namespace != "shop" || byIP.Labels["version"] != "v1" {
		t.Fatalf("lookup by IP failed: %+v", byIP)
	}
	unknown := &Proxy{Namespace: "shop", Pod: "ghost", IP: "10.9.9.9", Labels: map[string]string{"a": "b"}}
	if got := unknown.WithWorkload(w); got != unknown {
		t.Fatalf("unknown pod changed the proxy: %+v", got)
	}
}

// Implausible ids and metadata are refused before anything is held or
// logged; the refusal quotes only the start of the id.
func TestParseNodeRefusesImplausibleNodes(t *testing.T) {
	huge, _ := structpb.NewStruct(map[string]any{"NAMESPACE": "a", "PAD": strings.Repeat("x", MaxNodeMetadataBytes)})
	ok, _ := structpb.NewStruct(map[string]any{"NAMESPACE": "a"})
	longID := "sidecar~10.0.0.1~p.a~" + strings.Repeat("a", MaxNodeIDBytes)
	cases := []struct {
		name, id string
		md       *structpb.Struct
		want     string // "" accepts
	}{
		{"istio id", "sidecar~10.0.0.1~web-0.a~a.svc.cluster.local", ok, ""},
		{"id too long", longID, ok, "more than 1024"},
		{"not utf-8", "sidecar~10.0.0.1~p\xff.a~a.svc", ok, "not valid UTF-8"},
		{"newline", "sidecar~10.0.0.1~p.a~a.svc\nlevel=ERROR", ok, "control or space"},
		{"metadata too large", "sidecar~10.0.0.1~p.a~a.svc", huge, "metadata is"},
	}
	for _, tc := range cases {
		_, err := ParseNode(&core.Node{Id: tc.id, Metadata: tc.md})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		case err != nil && len(err.Error()) > 300:
			t.Errorf("%s: the error quotes %d bytes; a refused id must be shortened", tc.name, len(err.Error()))
		}
	}
}
