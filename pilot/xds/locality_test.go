package xds

import (
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// A proxy's locality, as istiod reads it: its pod's (locality label or
// Node) when the registry knows the pod, else topology labels or a locality label in its
// metadata, else the node locality its bootstrap sent.
func TestProxyLocality(t *testing.T) {
	id := "sidecar~10.0.0.5~web-0.shop~shop.svc.cluster.local"
	labels, _ := structpb.NewStruct(map[string]any{"LABELS": map[string]any{"istio-locality": "eu.z1"}})
	topo, _ := structpb.NewStruct(map[string]any{"LABELS": map[string]any{"istio-locality": "eu.z1",
		"topology.kubernetes.io/region": "ap", "topology.kubernetes.io/zone": "z2"}})
	pod := mesh.NewWorkloads([]*mesh.Workload{{Name: "web-0", Namespace: "shop", IP: "10.0.0.5", Locality: "us-east/zone-b"}})
	for _, tc := range []struct {
		name string
		node *core.Node
		pods mesh.Workloads
		want string
	}{
		{"bootstrap node locality", &core.Node{Id: id, Locality: &core.Locality{Region: "us-east", Zone: "zone-a", SubZone: "r1"}}, mesh.Workloads{}, "us-east/zone-a/r1"},
		{"label beats bootstrap", &core.Node{Id: id, Metadata: labels, Locality: &core.Locality{Region: "us-east"}}, mesh.Workloads{}, "eu/z1"},
		{"pod beats both", &core.Node{Id: id, Metadata: labels, Locality: &core.Locality{Region: "us-east"}}, pod, "us-east/zone-b"},
		{"topology labels beat a locality label", &core.Node{Id: id, Metadata: topo}, mesh.Workloads{}, "ap/z2"},
		{"none", &core.Node{Id: id}, mesh.Workloads{}, ""},
	} {
		p, err := ParseNode(tc.node)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.WithWorkload(tc.pods).Locality; got != tc.want {
			t.Errorf("%s: locality %q, want %q", tc.name, got, tc.want)
		}
	}
}
