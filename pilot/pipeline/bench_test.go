package pipeline

import (
	"testing"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
)

var scenarios = []struct {
	name     string
	services int
}{{"small", 10}, {"medium", 100}, {"large", 1000}}

func syntheticMesh(services int) *mesh.Mesh {
	snap := Synthetic(SyntheticOptions{Services: services, PodsPerService: 4, Namespaces: 10, CanaryWeightToV2: 10})
	return translate.Translate(snap, "bench")
}

// BenchmarkTranslate measures the shared stage: snapshot → mesh IR, once per config change.
func BenchmarkTranslate(b *testing.B) {
	for _, sc := range scenarios {
		snap := Synthetic(SyntheticOptions{Services: sc.services, PodsPerService: 4, Namespaces: 10, CanaryWeightToV2: 10})
		b.Run(sc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				translate.Translate(snap, "bench")
			}
		})
	}
}

// BenchmarkGeneratePerProxy measures one proxy's xDS from the IR: the cost
// paid per connected proxy on every push.
func BenchmarkGeneratePerProxy(b *testing.B) {
	for _, sc := range scenarios {
		m := syntheticMesh(sc.services)
		b.Run("sidecar/"+sc.name, func(b *testing.B) {
			p := goldenProxy(b, xds.KindSidecar)
			b.ReportAllocs()
			for b.Loop() {
				envoy.Generate(m, p)
			}
		})
		b.Run("grpc/"+sc.name, func(b *testing.B) {
			p := goldenProxy(b, xds.KindProxyless)
			names := []string{"svc-0.ns-0.svc.cluster.local:9080", "svc-1.ns-1.svc.cluster.local:9080"}
			b.ReportAllocs()
			for b.Loop() {
				grpcgen.Generate(m, p, names)
			}
		})
	}
}

// The synthetic mesh must be what the benchmark claims: one cluster per
// subset and service, endpoints split between versions.
func TestSyntheticMeshShape(t *testing.T) {
	m := syntheticMesh(10)
	if len(m.Services) != 10 || len(m.Clusters) != 30 {
		t.Fatalf("services=%d clusters=%d, want 10 and 30", len(m.Services), len(m.Clusters))
	}
	c := m.Cluster(mesh.ClusterKey{Direction: mesh.Outbound, Port: 9080, Subset: "v2", Host: "svc-3.ns-3.svc.cluster.local"})
	if c == nil || len(c.Endpoints()) != 2 {
		t.Fatalf("v2 subset of svc-3: %+v", c)
	}
}
