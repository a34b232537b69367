package pipeline

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"google.golang.org/protobuf/proto"

	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/envoy"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// variant is a proxy that differs from the golden one in one input a
// generator reads; names are what a proxyless variant asks for.
type variant struct {
	name  string
	proxy *xds.Proxy
	names []string
}

func variants(t testing.TB, m *mesh.Mesh) []variant {
	base := func(kind xds.Kind, edit func(*xds.Proxy)) *xds.Proxy {
		p := *goldenProxy(t, kind)
		p.Labels = map[string]string{"app": "productpage", "version": "v1"}
		edit(&p)
		return &p
	}
	all := []string{"reviews.default.svc.cluster.local:9080", "ratings:9080", "xds.istio.io/grpc/lds/inbound/10.244.0.10:9080"}
	out := []variant{
		{"sidecar", base(xds.KindSidecar, func(*xds.Proxy) {}), nil},
		{"sidecar other id", base(xds.KindSidecar, func(p *xds.Proxy) { p.ID, p.Pod = "other", "productpage-v1-b" }), nil},
		{"sidecar other labels", base(xds.KindSidecar, func(p *xds.Proxy) { p.Labels = map[string]string{"app": "reviews", "version": "v2"} }), nil},
		{"sidecar other namespace", base(xds.KindSidecar, func(p *xds.Proxy) { p.Namespace, p.DNSDomain = "shop", "shop.svc.cluster.local" }), nil},
		{"sidecar unknown ip", base(xds.KindSidecar, func(p *xds.Proxy) { p.IP = "10.99.0.1" }), nil},
		{"grpc", base(xds.KindProxyless, func(*xds.Proxy) {}), all},
		{"grpc fewer names", base(xds.KindProxyless, func(*xds.Proxy) {}), all[:1]},
		{"grpc without certificates", base(xds.KindProxyless, func(p *xds.Proxy) { p.CertProviders = nil }), all},
		{"grpc other namespace", base(xds.KindProxyless, func(p *xds.Proxy) { p.Namespace, p.DNSDomain = "shop", "shop.svc.cluster.local" }), all},
	}
	for _, s := range m.Services { // a sidecar at each endpoint IP serves that service's ports
		for _, eps := range s.Endpoints {
			for _, ep := range eps {
				out = append(out, variant{"sidecar at " + ep.Address, base(xds.KindSidecar, func(p *xds.Proxy) { p.IP = ep.Address }), nil})
			}
		}
	}
	return out
}

func specsOf(m *mesh.Mesh, v variant) []share.Spec {
	if v.proxy.Kind == xds.KindProxyless {
		return grpcgen.Specs(m, v.proxy, v.names)
	}
	return envoy.Specs(m, v.proxy)
}

// Sharing must never hand a proxy another view's config: through one cache
// used by every variant, each proxy gets exactly what generating for it
// alone gives. A key that misses an input the generator reads fails here.
func TestSharedConfigEqualsOwnConfig(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/*.in.yaml")
	for _, in := range inputs {
		m := translate.Translate(golden.Snapshot(t, in), "share")
		cache := share.NewCache(m)
		for _, v := range variants(t, m) {
			own, _ := share.Build(specsOf(m, v))
			parts, _ := cache.Acquire(specsOf(m, v))
			shared := share.Resources(parts)
			if diff := diffResources(own, shared); diff != "" {
				t.Errorf("%s, %s: shared config differs from its own: %s", filepath.Base(in), v.name, diff)
			}
		}
		t.Logf("%s: %d parts for %d proxies", filepath.Base(in), cache.Builds(), len(variants(t, m)))
	}
}

func diffResources(want, got xds.Resources) string {
	for _, typ := range xds.TypeURLs {
		if len(want[typ]) != len(got[typ]) {
			return fmt.Sprintf("%s: %d resources, want %d", typ, len(got[typ]), len(want[typ]))
		}
		for name, w := range want[typ] {
			if g, ok := got[typ][name]; !ok || !proto.Equal(w, g) {
				return fmt.Sprintf("%s %q differs", typ, name)
			}
		}
	}
	return ""
}

// Same view, one build: 200 sidecars of one deployment and 200 replicas of
// a proxyless client cost four builds each; clusters and endpoints are
// shared across namespaces too.
func TestSameViewBuildsOnce(t *testing.T) {
	m := syntheticMesh(50)
	cache := share.NewCache(m)
	names := []string{"svc-0.ns-0.svc.cluster.local:9080"}
	for i := range 200 {
		sc := *goldenProxy(t, xds.KindSidecar)
		sc.ID, sc.IP = fmt.Sprintf("sidecar-%d", i), fmt.Sprintf("10.200.%d.%d", i/250, i%250)
		cache.Acquire(envoy.Specs(m, &sc))
		g := *goldenProxy(t, xds.KindProxyless)
		g.ID = fmt.Sprintf("grpc-%d", i)
		cache.Acquire(grpcgen.Specs(m, &g, names))
	}
	if got := cache.Builds(); got != 8 {
		t.Fatalf("400 proxies of two views built %d parts, want 8", got)
	}
	for ns := range 10 {
		sc := *goldenProxy(t, xds.KindSidecar)
		sc.Namespace = fmt.Sprintf("ns-%d", ns)
		cache.Acquire(envoy.Specs(m, &sc))
	}
	// Each new namespace adds a listener and a route part, nothing else.
	if got := cache.Builds(); got != 8+10*2 {
		t.Fatalf("after 10 namespaces: %d parts, want %d", got, 8+10*2)
	}
}

// BenchmarkPushSharing is the per-proxy cost of one push for a fleet of
// 100 proxies in 10 views: "own" builds, validates and hashes every
// proxy's config (weft before sharing); "shared" resolves them through
// one cache, as weftd does. ns/op is per proxy.
func BenchmarkPushSharing(b *testing.B) {
	for _, sc := range scenarios {
		m := syntheticMesh(sc.services)
		for _, kind := range []xds.Kind{xds.KindSidecar, xds.KindProxyless} {
			fleet := benchFleet(b, kind, 100, 10)
			b.Run(string(kind)+"/own/"+sc.name, func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					ownPush(benchSpecs(m, fleet[i%len(fleet)]))
					i++
				}
			})
			b.Run(string(kind)+"/shared/"+sc.name, func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				var cache *share.Cache
				for b.Loop() {
					if i%len(fleet) == 0 {
						cache = share.NewCache(m) // a new mesh version per fleet-wide push
					}
					cache.Acquire(benchSpecs(m, fleet[i%len(fleet)]))
					i++
				}
			})
		}
	}
}

func benchSpecs(m *mesh.Mesh, v variant) []share.Spec { return specsOf(m, v) }

// ownPush is one proxy's push without sharing: every part built for it alone.
func ownPush(specs []share.Spec) {
	share.NewCache(nil).Acquire(specs)
}

// benchFleet is n proxies of one kind in the given number of views:
// sidecars by namespace, proxyless clients by the services they call.
func benchFleet(b *testing.B, kind xds.Kind, n, views int) []variant {
	out := make([]variant, n)
	for i := range out {
		p := *goldenProxy(b, kind)
		p.ID, p.IP = fmt.Sprintf("p-%d", i), fmt.Sprintf("10.200.0.%d", i)
		v := i % views
		if kind == xds.KindSidecar {
			p.Namespace = fmt.Sprintf("ns-%d", v)
		}
		out[i] = variant{name: p.ID, proxy: &p, names: []string{"svc-0.ns-0.svc.cluster.local:9080", fmt.Sprintf("svc-%d.ns-%d.svc.cluster.local:9080", v, v)}}
	}
	return out
}

// A proxyless client receives the clusters its routes reference (the warm
// route names all subsets), not the whole mesh.
func TestProxylessGetsReferencedClustersOnly(t *testing.T) {
	m := syntheticMesh(50)
	res, _ := grpcgen.Generate(m, goldenProxy(t, xds.KindProxyless), []string{"svc-7.ns-7.svc.cluster.local:9080"})
	got := res.Names(resource.ClusterType)
	if len(got) != 3 || len(res[resource.EndpointType]) != 3 {
		t.Fatalf("clusters %v, endpoints %d; want svc-7's three", got, len(res[resource.EndpointType]))
	}
	for _, n := range got {
		if !strings.HasSuffix(n, "|svc-7.ns-7.svc.cluster.local") {
			t.Fatalf("unreferenced cluster %s sent", n)
		}
	}
}
