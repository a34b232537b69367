package pipeline

import (
	"fmt"
	"testing"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
	"github.com/weftmesh/weft/pilot/xds/guard"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// s3 is issue 17's mesh: 1000 ServiceEntry services in 100 namespaces, a
// Sidecar in each, as weft-load's scenario S3 writes it.
func s3(weightV2 int32) *config.Snapshot {
	return Synthetic(SyntheticOptions{Services: 1000, PodsPerService: 4, Namespaces: 100, CanaryWeightToV2: weightV2,
		SidecarScope: true, ServiceEntries: true})
}

// s3Fleet is 2000 sidecars, 20 per namespace, as weft-load connects them.
func s3Fleet() []*xds.Proxy {
	out := make([]*xds.Proxy, 0, 2000)
	for i := range 2000 {
		ns := fmt.Sprintf("ns-%d", i%100)
		out = append(out, &xds.Proxy{ID: fmt.Sprintf("sidecar~10.200.%d.%d~load-%d.%s~%s.svc.cluster.local", i/256, i%256, i, ns, ns),
			Kind: xds.KindSidecar, IP: fmt.Sprintf("10.200.%d.%d", i/256, i%256), Namespace: ns, DNSDomain: ns + ".svc.cluster.local",
			Labels: map[string]string{}})
	}
	return out
}

// BenchmarkS3WeightChange is the regression benchmark of issue 17's
// change: with every sidecar of S3 holding its parts, one canary weight
// changes; an op is the guarded translation plus every sidecar's push
// work (its parts resolved: built once per distinct view, shared after).
func BenchmarkS3WeightChange(b *testing.B) {
	fleet := s3Fleet()
	push := func(cache *share.Cache) []*share.Held {
		held := make([]*share.Held, 0, len(fleet))
		for _, p := range fleet {
			_, h := cache.Acquire(envoy.Specs(cache.Mesh(), p))
			held = append(held, h)
		}
		return held
	}
	before, after := s3(10), s3(60)
	first := guard.Translate(before, "1", translate.Options{})
	held := push(share.NewCache(first))
	b.ReportAllocs()
	version := 2
	for b.Loop() {
		snap := after
		if version%2 == 1 {
			snap = before
		}
		m := guard.Translate(snap, fmt.Sprint(version), translate.Options{})
		next := push(share.NewCache(m))
		for _, h := range held {
			h.Release()
		}
		held, version = next, version+1
	}
}
