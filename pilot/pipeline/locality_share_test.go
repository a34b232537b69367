package pipeline

import (
	"fmt"
	"testing"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// Endpoints depend on where a proxy runs (and on the labels a
// failoverPriority names), so they are built once per distinct view, not
// per proxy: 120 proxies in two localities and two tracks make four
// endpoint parts per flavour, and each still gets what generating for it
// alone gives. Sidecars carry a label of their own, which their endpoints
// do not read; a proxyless view is keyed by all its labels (routes match
// source labels), so its replicas share theirs.
func TestEndpointsSharedPerLocalityView(t *testing.T) {
	m := translate.Translate(golden.Snapshot(t, "../translate/testdata/locality/input.yaml"), "share")
	cache := share.NewCache(m)
	eds := map[xds.Kind]map[*share.Part]bool{xds.KindSidecar: {}, xds.KindProxyless: {}}
	names := []string{"reviews.shop.svc.cluster.local:9080", "catalog.shop.svc.cluster.local:9080"}
	for i := range 120 {
		kind := []xds.Kind{xds.KindSidecar, xds.KindProxyless}[i%2]
		p := &xds.Proxy{ID: fmt.Sprintf("p-%d", i), Kind: kind, Namespace: "shop", DNSDomain: "shop.svc.cluster.local",
			IP:       fmt.Sprintf("10.250.0.%d", i),
			Labels:   map[string]string{"track": []string{"canary", "stable"}[i/2%2]},
			Locality: []string{"us-east/zone-a", "us-west/zone-a/rack-1"}[i/4%2]}
		specs := grpcgen.Specs(m, p, names)
		if kind == xds.KindSidecar {
			p.Labels["pod"] = fmt.Sprint(i)
			specs = envoy.Specs(m, p)
		}
		parts, _ := cache.Acquire(specs) // held until the test ends, as by a connected proxy
		own, _ := share.Build(specs)
		if diff := diffResources(own, share.Resources(parts)); diff != "" {
			t.Fatalf("proxy %d: shared config differs from its own: %s", i, diff)
		}
		for _, part := range parts {
			if part.TypeURL == resource.EndpointType {
				eds[kind][part] = true
			}
		}
	}
	for kind, parts := range eds {
		if len(parts) != 4 {
			t.Errorf("%s: %d endpoint parts for 60 proxies, want 4 (2 localities × 2 tracks)", kind, len(parts))
		}
	}
}
