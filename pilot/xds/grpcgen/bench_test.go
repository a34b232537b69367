package grpcgen_test

import (
	"fmt"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/pilot/pipeline"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
)

// BenchmarkGenerate measures one proxyless view built from the IR: routes,
// the clusters they reference and those clusters' endpoints, for a client
// dialling a few targets and for one dialling many.
func BenchmarkGenerate(b *testing.B) {
	snap := pipeline.Synthetic(pipeline.SyntheticOptions{Services: 100, PodsPerService: 4, Namespaces: 10, CanaryWeightToV2: 10})
	m := translate.Translate(snap, "bench")
	p := benchProxy(b)
	for _, targets := range []int{2, 50} {
		names := make([]string, targets)
		for i := range names {
			names[i] = fmt.Sprintf("svc-%d.ns-%d.svc.cluster.local:9080", i, i%10)
		}
		b.Run(fmt.Sprintf("targets=%d", targets), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				grpcgen.Generate(m, p, names)
			}
		})
	}
}

func benchProxy(b *testing.B) *xds.Proxy {
	md, err := structpb.NewStruct(map[string]any{
		"NAMESPACE": "ns-0", "GENERATOR": "grpc", "CERT_PROVIDERS": "default",
		"LABELS": map[string]any{"app": "client"},
	})
	if err != nil {
		b.Fatal(err)
	}
	p, err := xds.ParseNode(&core.Node{Id: "sidecar~10.244.0.10~client.ns-0~ns-0.svc.cluster.local", Metadata: md})
	if err != nil {
		b.Fatal(err)
	}
	return p
}
