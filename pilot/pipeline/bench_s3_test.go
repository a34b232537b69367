package pipeline

import (
	"fmt"
	"strings"
	"testing"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
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
func s3Fleet() []*xds.Proxy { return sidecarFleet(2000, 100) }

// sidecarFleet is n sidecars spread over namespaces ns-0 … ns-(namespaces-1).
func sidecarFleet(n, namespaces int) []*xds.Proxy {
	out := make([]*xds.Proxy, 0, n)
	for i := range n {
		ns := fmt.Sprintf("ns-%d", i%namespaces)
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
	var store share.Store // as the server holds it: a route-only change inherits clusters
	first := guard.Translate(before, "1", translate.Options{})
	held := push(store.For(first))
	b.ReportAllocs()
	version := 2
	for b.Loop() {
		snap := after
		if version%2 == 1 {
			snap = before
		}
		m := guard.Translate(snap, fmt.Sprint(version), translate.Options{})
		next := push(store.For(m))
		for _, h := range held {
			h.Release()
		}
		held, version = next, version+1
	}
}

// A weight change reuses the clusters and endpoints built for the version
// before (only VirtualServices changed), and every sidecar still gets
// exactly the configuration generating for it alone gives.
func TestRouteOnlyChangeReusesClusters(t *testing.T) {
	snap := func(w int32) *config.Snapshot {
		return Synthetic(SyntheticOptions{Services: 40, PodsPerService: 4, Namespaces: 4, CanaryWeightToV2: w, SidecarScope: true, ServiceEntries: true})
	}
	fleet := sidecarFleet(40, 4)
	var store share.Store
	hold := func(m *mesh.Mesh) (*share.Cache, []*share.Held) {
		c := store.For(m)
		var held []*share.Held
		for _, p := range fleet {
			parts, h := c.Acquire(envoy.Specs(m, p))
			own, _ := share.Build(envoy.Specs(m, p))
			if diff := diffResources(own, share.Resources(parts)); diff != "" {
				t.Fatalf("mesh %s, %s: shared config differs from its own: %s", m.Version, p.ID, diff)
			}
			held = append(held, h)
		}
		return c, held
	}
	first := guard.Translate(snap(10), "1", translate.Options{})
	_, held := hold(first)
	second := guard.Translate(snap(60), "2", translate.Options{})
	if second.SameClustersAs != "1" {
		t.Fatalf("a weight change: SameClustersAs %q, want the previous version", second.SameClustersAs)
	}
	if second.SameListenersAs != "1" {
		t.Fatalf("a weight change: SameListenersAs %q, want the previous version", second.SameListenersAs)
	}
	c, _ := hold(second)
	// 4 namespaces: routes built again; clusters, endpoints and listeners not.
	if got := c.Builds(); got != 4 {
		t.Errorf("after a weight change %d parts were built, want 4 (the routes of 4 views)", got)
	}
	for _, h := range held {
		h.Release()
	}
	third := guard.Translate(snap(60), "3", translate.Options{})
	mod := Synthetic(SyntheticOptions{Services: 41, PodsPerService: 4, Namespaces: 4, CanaryWeightToV2: 60, SidecarScope: true, ServiceEntries: true})
	fourth := guard.Translate(mod, "4", translate.Options{})
	if third.SameClustersAs != "2" || fourth.SameClustersAs != "" {
		t.Errorf("SameClustersAs %q then %q, want 2 for an unchanged config and none once a service is added", third.SameClustersAs, fourth.SameClustersAs)
	}
}

// Proxyless clients are sent the clusters their routes reference, so their
// parts are never reused across a route change: routing reviews to ratings
// gives a client the ratings cluster it now needs.
func TestRouteChangeRebuildsProxylessClusters(t *testing.T) {
	const base = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: reviews, namespace: ns-0}
spec:
  hosts: [reviews.ns-0.svc.cluster.local]
  addresses: [10.96.9.9]
  ports: [{number: 9080, name: grpc, protocol: GRPC}]
  resolution: STATIC
  endpoints: [{address: 10.9.0.1, labels: {version: v1}}, {address: 10.9.0.2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ratings, namespace: ns-0}
spec:
  hosts: [ratings.ns-0.svc.cluster.local]
  addresses: [10.96.9.10]
  ports: [{number: 9080, name: grpc, protocol: GRPC}]
  resolution: STATIC
  endpoints: [{address: 10.9.0.3}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: ns-0}
spec: {host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: ns-0}
spec: {hosts: [reviews], http: [{route: [{destination: {host: TARGET}}]}]}
`
	client := goldenProxy(t, xds.KindProxyless)
	client.Namespace = "ns-0"
	names := []string{"reviews.ns-0.svc.cluster.local:9080"}
	var store share.Store
	for i, target := range []string{"reviews", "ratings"} {
		s := golden.SnapshotOf(t, "in.yaml", []byte(strings.ReplaceAll(base, "TARGET", target)))
		m := guard.Translate(s, fmt.Sprintf("proxyless-%d", i), translate.Options{})
		parts, _ := store.For(m).Acquire(grpcgen.Specs(m, client, names))
		own, _ := share.Build(grpcgen.Specs(m, client, names))
		if diff := diffResources(own, share.Resources(parts)); diff != "" {
			t.Fatalf("routed to %s: the proxyless client's shared config differs from its own: %s", target, diff)
		}
	}
}
