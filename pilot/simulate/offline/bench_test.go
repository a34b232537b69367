package offline

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/weftmesh/weft/pilot/pipeline"
	"github.com/weftmesh/weft/pilot/simulate"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
)

// BenchmarkSimulate1000 is one request through the sidecar config of a
// 1000-service mesh (the target: under 10 ms). The config is built
// once; the benchmark measures the simulation alone.
func BenchmarkSimulate1000(b *testing.B) {
	snap := pipeline.Synthetic(pipeline.SyntheticOptions{Services: 1000, PodsPerService: 4, Namespaces: 10, CanaryWeightToV2: 10})
	m := translate.Translate(snap, "bench")
	p, err := xds.ParseNode(&corev3.Node{Id: "sidecar~10.250.0.1~client.ns-3~ns-3.svc.cluster.local"})
	if err != nil {
		b.Fatal(err)
	}
	res, _ := envoy.Generate(m, p)
	cfg := simulate.FromResources(res)
	req, err := simulate.RequestSpec{URL: "http://svc-999.ns-9.svc.cluster.local:9080/pkg.Svc/Method", Protocol: "grpc", IP: "10.96.3.231"}.Request()
	if err != nil {
		b.Fatal(err)
	}
	if r, err := simulate.Simulate(cfg, req); err != nil || r.Failure != nil || len(r.Action.Clusters) != 2 {
		b.Fatalf("the request must reach the 90/10 split: %+v %v", r, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, _ = simulate.Simulate(cfg, req)
	}
}
