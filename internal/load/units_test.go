package load

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/pipeline"
)

func TestQuantileNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for q, want := range map[float64]time.Duration{0.5: 50, 0.9: 90, 0.99: 99, 1: 100} {
		if got := quantile(d, q); got != want {
			t.Errorf("quantile(%v) = %v, want %v", q, got, want)
		}
	}
	if quantile(nil, 0.5) != 0 {
		t.Error("quantile of nothing should be 0")
	}
}

func TestParseMetricsSumsLabels(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(`# HELP x
weft_xds_nacks_total{type="a"} 2
weft_xds_nacks_total{type="b"} 3
process_resident_memory_bytes 1.5e+06
`))
	if err != nil {
		t.Fatal(err)
	}
	if m["weft_xds_nacks_total"] != 5 || m["process_resident_memory_bytes"] != 1.5e6 {
		t.Errorf("got %v", m)
	}
}

func TestDependenciesFollowRDSAndClusters(t *testing.T) {
	hcm := mustAny(t, &hcmv3.HttpConnectionManager{RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{
		Rds: &hcmv3.Rds{RouteConfigName: "9080"}}})
	l := &listenerv3.Listener{Name: "l", ApiListener: &listenerv3.ApiListener{ApiListener: hcm}}
	deps, err := dependencies(&discovery.DiscoveryResponse{TypeUrl: resource.ListenerType, Resources: []*anypb.Any{mustAny(t, l)}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(deps[resource.RouteType], []string{"9080"}) {
		t.Errorf("RDS deps = %v", deps[resource.RouteType])
	}
	rc := &routev3.RouteConfiguration{VirtualHosts: []*routev3.VirtualHost{{Routes: []*routev3.Route{{
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_WeightedClusters{
			WeightedClusters: &routev3.WeightedCluster{Clusters: []*routev3.WeightedCluster_ClusterWeight{{Name: "b"}, {Name: "a"}}}}}}}}}}}
	deps, err = dependencies(&discovery.DiscoveryResponse{TypeUrl: resource.RouteType, Resources: []*anypb.Any{mustAny(t, rc)}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(deps[resource.ClusterType], []string{"a", "b"}) {
		t.Errorf("CDS deps = %v", deps[resource.ClusterType])
	}
}

func TestDiff(t *testing.T) {
	sub, unsub := diff([]string{"a", "b"}, []string{"b", "c"})
	if !slices.Equal(sub, []string{"c"}) || !slices.Equal(unsub, []string{"a"}) {
		t.Errorf("diff = %v, %v", sub, unsub)
	}
}

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:1": true, "[::1]:1": true, "localhost:1": true, "10.0.0.1:1": false, "example.com:1": false} {
		if err := checkLoopback(addr); (err == nil) != ok {
			t.Errorf("checkLoopback(%s) = %v", addr, err)
		}
	}
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestSyntheticSidecarScope(t *testing.T) {
	o := pipeline.SyntheticOptions{Services: 6, PodsPerService: 2, Namespaces: 3, CanaryWeightToV2: 10}
	plain := pipeline.Synthetic(o)
	if n := len(plain.Sidecars); n != 0 {
		t.Fatalf("default Synthetic has %d Sidecars, want 0", n)
	}
	o.SidecarScope = true
	scoped := pipeline.Synthetic(o)
	if got, want := len(scoped.Objects()), len(plain.Objects())+3; got != want {
		t.Errorf("scoped mesh has %d objects, want %d (one Sidecar per namespace more)", got, want)
	}
	var nss []string
	for _, sc := range scoped.Sidecars {
		nss = append(nss, sc.Namespace)
		if sc.Name != "default" || sc.Spec.GetWorkloadSelector() != nil || len(sc.Spec.GetEgress()) != 1 ||
			!slices.Equal(sc.Spec.GetEgress()[0].GetHosts(), []string{"./*", "ns-0/*"}) {
			t.Errorf("Sidecar %s/%s = %v", sc.Namespace, sc.Name, &sc.Spec)
		}
		if sc.APIVersion != "networking.istio.io/v1" || sc.Kind != "Sidecar" {
			t.Errorf("Sidecar type meta = %v", sc.TypeMeta)
		}
	}
	slices.Sort(nss)
	if !slices.Equal(nss, []string{"ns-0", "ns-1", "ns-2"}) {
		t.Errorf("Sidecar namespaces = %v", nss)
	}
}

// readDir returns every file's content by name.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// changedFiles lists the files added or rewritten with different content.
func changedFiles(before, after map[string]string) []string {
	var out []string
	for name, b := range after {
		if before[name] != b {
			out = append(out, name)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			out = append(out, "removed "+name)
		}
	}
	slices.Sort(out)
	return out
}

// decodeFile parses a mesh file as weftd would and indexes it by kind.
func decodeFile(t *testing.T, name, content string) map[string][]config.Resource {
	t.Helper()
	objs, errs := config.Decode(name, []byte(content))
	if len(errs) > 0 {
		t.Fatalf("decode %s: %v", name, errs[0])
	}
	out := map[string][]config.Resource{}
	for _, o := range objs {
		k := o.Resource.GetObjectKind().GroupVersionKind().Kind
		out[k] = append(out[k], o.Resource)
	}
	return out
}

func newTestMesh(t *testing.T) (*Mesh, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	m, err := WriteMesh(dir, MeshOptions(30, true, false))
	if err != nil {
		t.Fatal(err)
	}
	files := readDir(t, dir)
	if len(files) != 31 || files["sidecars.yaml"] == "" {
		t.Fatalf("mesh files = %d (sidecars.yaml present: %v), want 30 services + sidecars.yaml", len(files), files["sidecars.yaml"] != "")
	}
	return m, files
}

func TestChangeWeightRewritesOnlyTheVirtualService(t *testing.T) {
	m, before := newTestMesh(t)
	if err := m.Apply(ChangeWeight); err != nil {
		t.Fatal(err)
	}
	after := readDir(t, m.Dir)
	if got := changedFiles(before, after); !slices.Equal(got, []string{"svc-0.yaml"}) {
		t.Fatalf("changed files = %v, want [svc-0.yaml]", got)
	}
	old, cur := decodeFile(t, "old", before["svc-0.yaml"]), decodeFile(t, "new", after["svc-0.yaml"])
	for kind, rs := range cur {
		if len(rs) != len(old[kind]) {
			t.Errorf("%s: %d → %d resources", kind, len(old[kind]), len(rs))
		}
	}
	vs := cur["VirtualService"][0].(*networkingv1.VirtualService)
	if w := vs.Spec.GetHttp()[0].GetRoute()[1].GetWeight(); w != 60 {
		t.Errorf("v2 weight = %d, want 60", w)
	}
}

func TestChangeEndpointAddsOnePodToSvc0(t *testing.T) {
	m, before := newTestMesh(t)
	if err := m.Apply(ChangeEndpoint); err != nil {
		t.Fatal(err)
	}
	after := readDir(t, m.Dir)
	if got := changedFiles(before, after); !slices.Equal(got, []string{"svc-0.yaml"}) {
		t.Fatalf("changed files = %v, want [svc-0.yaml]", got)
	}
	old, cur := decodeFile(t, "old", before["svc-0.yaml"]), decodeFile(t, "new", after["svc-0.yaml"])
	if len(cur["Pod"]) != len(old["Pod"])+1 {
		t.Errorf("pods: %d → %d, want one more", len(old["Pod"]), len(cur["Pod"]))
	}
	ips := func(rs []config.Resource) []string {
		var out []string
		for _, ep := range rs[0].(*discoveryv1.EndpointSlice).Endpoints {
			out = append(out, ep.Addresses...)
		}
		return out
	}
	oldIPs, newIPs := ips(old["EndpointSlice"]), ips(cur["EndpointSlice"])
	if len(newIPs) != len(oldIPs)+1 || !slices.Equal(newIPs[:len(oldIPs)], oldIPs) {
		t.Fatalf("endpoints %v → %v, want one appended", oldIPs, newIPs)
	}
	added := newIPs[len(newIPs)-1]
	for name, content := range before {
		if strings.Contains(content, added+"\n") {
			t.Errorf("new endpoint IP %s already used in %s", added, name)
		}
	}
	for _, kind := range []string{"Service", "DestinationRule", "VirtualService"} {
		if !reflect.DeepEqual(cur[kind], old[kind]) {
			t.Errorf("%s changed", kind)
		}
	}
	// A second change keeps the first.
	if err := m.Apply(ChangeWeight); err != nil {
		t.Fatal(err)
	}
	if got := decodeFile(t, "again", readDir(t, m.Dir)["svc-0.yaml"]); len(got["Pod"]) != len(cur["Pod"]) {
		t.Errorf("weight change after endpoint change dropped the added pod")
	}
}

func TestChangeServiceAddsOneFileInTheSharedNamespace(t *testing.T) {
	m, before := newTestMesh(t)
	listeners := m.ListenersFor(ChangeService)
	if err := m.Apply(ChangeService); err != nil {
		t.Fatal(err)
	}
	after := readDir(t, m.Dir)
	if got := changedFiles(before, after); !slices.Equal(got, []string{"svc-30.yaml"}) {
		t.Fatalf("changed files = %v, want [svc-30.yaml]", got)
	}
	cur := decodeFile(t, "svc-30.yaml", after["svc-30.yaml"])
	for kind, n := range map[string]int{"Service": 1, "EndpointSlice": 1, "DestinationRule": 1, "VirtualService": 1, "Pod": 4} {
		if len(cur[kind]) != n {
			t.Errorf("%s: %d, want %d", kind, len(cur[kind]), n)
		}
		for _, r := range cur[kind] {
			if r.GetNamespace() != "ns-0" {
				t.Errorf("%s %s in %s, want ns-0", kind, r.GetName(), r.GetNamespace())
			}
		}
	}
	if cur["Service"][0].GetName() != "svc-30" {
		t.Errorf("new service named %s", cur["Service"][0].GetName())
	}
	// Every proxyless proxy watched the new service's listener from the start.
	want := "svc-30.ns-0.svc.cluster.local:9080"
	for p := range 40 {
		if l := listeners(p); !slices.Contains(l, want) || !slices.Contains(l, m.ListenerName(0)) {
			t.Fatalf("proxy %d watches %v, want %s and svc-0's listener", p, l, want)
		}
	}
	if slices.Contains(m.ListenersFor(ChangeWeight)(1), want) {
		t.Error("weight change: proxies should not watch a future service")
	}
}

func TestParseChange(t *testing.T) {
	for in, want := range map[string]Change{"": ChangeWeight, "weight": ChangeWeight, "endpoint": ChangeEndpoint, "service": ChangeService} {
		if got, err := ParseChange(in); err != nil || got != want {
			t.Errorf("ParseChange(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseChange("pod"); err == nil {
		t.Error("ParseChange(pod) should fail")
	}
}

func TestJitteredBackoffIsBounded(t *testing.T) {
	for _, d := range []time.Duration{minBackoff, 400 * time.Millisecond, maxBackoff} {
		for _, rnd := range []func(int64) int64{func(int64) int64 { return 0 }, func(n int64) int64 { return n - 1 }} {
			got := jittered(d, rnd)
			if got < min(d, maxBackoff) || got > maxBackoff || got > d+d/2 {
				t.Errorf("jittered(%v) = %v", d, got)
			}
		}
	}
}

func TestReconnectedAtNeedsEveryTypeOnANewStream(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := ProxyState{Kind: KindSidecar, Types: map[string]TypeState{}}
	for i, typ := range typeOrder {
		s.Types[typ] = TypeState{Version: "1", StreamFirst: t0.Add(time.Duration(i+1) * time.Second)}
	}
	if got := reconnectedAt(s, t0); !got.Equal(t0.Add(4 * time.Second)) {
		t.Errorf("reconnectedAt = %v, want the last type's first response", got)
	}
	s.Types[resource.RouteType] = TypeState{Version: "1", StreamFirst: t0.Add(-time.Second)} // RDS still from the old stream
	if got := reconnectedAt(s, t0); !got.IsZero() {
		t.Errorf("reconnectedAt = %v, want zero while RDS is from before the restart", got)
	}
	delete(s.Types, resource.RouteType)
	if got := reconnectedAt(s, t0); !got.IsZero() {
		t.Errorf("reconnectedAt = %v, want zero without RDS", got)
	}
}

func TestReportTableNamesScenarioAndMeasure(t *testing.T) {
	var b strings.Builder
	r := Report{Scenario: "S2", Change: "restart", Measure: "reconnect", Kind: "mixed", Services: 1000, Scoped: true, Proxies: 10000,
		Converged: 10000, WeftdRestart: time.Second, Reconnects: 10000}
	if err := r.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"scenario", "S2", "change", "restart", "services", "1000", "reconnect p99", "reconnected", "10000", "weftd restart"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := (Report{Change: "endpoint", Measure: "convergence"}).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"change": "endpoint"`) || !strings.Contains(b.String(), `"measure": "convergence"`) {
		t.Errorf("json = %s", b.String())
	}
}

func TestDependenciesCacheKeepsResourcesApart(t *testing.T) {
	route := func(cluster string) *discovery.DiscoveryResponse {
		rc := &routev3.RouteConfiguration{Name: "9080", VirtualHosts: []*routev3.VirtualHost{{Routes: []*routev3.Route{{
			Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}}}}}}}}
		return &discovery.DiscoveryResponse{TypeUrl: resource.RouteType, Resources: []*anypb.Any{mustAny(t, rc)}}
	}
	for range 2 { // the second round is served from the cache
		for _, c := range []string{"a", "b"} {
			deps, err := dependencies(route(c))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(deps[resource.ClusterType], []string{c}) {
				t.Errorf("route to %s: CDS deps = %v", c, deps[resource.ClusterType])
			}
		}
	}
	// The same bytes under another response type are not confused.
	deps, err := dependencies(&discovery.DiscoveryResponse{TypeUrl: resource.ClusterType, Resources: route("a").Resources})
	if err == nil && len(deps[resource.ClusterType]) > 0 {
		t.Errorf("route decoded as a cluster gave %v", deps)
	}
}

// SotW route and endpoint responses may carry only what changed: the proxy
// keeps the rest, so its dependencies come from everything it holds.
func TestAccumulateKeepsUnchangedRoutes(t *testing.T) {
	rc := func(name, cluster string) *anypb.Any {
		return mustAny(t, &routev3.RouteConfiguration{Name: name, VirtualHosts: []*routev3.VirtualHost{{Name: name, Domains: []string{"*"},
			Routes: []*routev3.Route{{Action: &routev3.Route_Route{Route: &routev3.RouteAction{
				ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster}}}}}}}})
	}
	p := newProxy(proxySpec{})
	p.newStream()
	p.names[resource.RouteType] = []string{"a", "b"}
	if _, err := p.accumulate(&discovery.DiscoveryResponse{TypeUrl: resource.RouteType, Resources: []*anypb.Any{rc("a", "ca"), rc("b", "cb")}}); err != nil {
		t.Fatal(err)
	}
	all, err := p.accumulate(&discovery.DiscoveryResponse{TypeUrl: resource.RouteType, Resources: []*anypb.Any{rc("a", "ca2")}})
	if err != nil {
		t.Fatal(err)
	}
	deps, _ := dependencies(all)
	if got := deps[resource.ClusterType]; !slices.Equal(got, []string{"ca2", "cb"}) {
		t.Fatalf("clusters after a partial response: %v, want [ca2 cb]", got)
	}
	p.names[resource.RouteType] = []string{"b"}
	all, _ = p.accumulate(&discovery.DiscoveryResponse{TypeUrl: resource.RouteType})
	if len(all.Resources) != 1 {
		t.Fatalf("unsubscribed route kept: %d held", len(all.Resources))
	}
}

func TestInitialSyncCountsFromStartAndPerProxy(t *testing.T) {
	t0 := time.Unix(1000, 0)
	f := &Fleet{connectAt: t0}
	for i := range 2 {
		p := newProxy(proxySpec{Index: i, Kind: KindSidecar})
		p.started = t0.Add(time.Duration(i) * time.Second) // the second proxy waited 1s for its turn
		for j, typ := range typeOrder {
			p.state[typ] = &TypeState{Version: "1", At: p.started.Add(time.Duration(j+1) * 100 * time.Millisecond)}
		}
		f.proxies = append(f.proxies, p)
	}
	got := f.InitialSync()
	if got.FromStart.Max != 1400*time.Millisecond || got.FromStart.P50 != 400*time.Millisecond {
		t.Errorf("from start = %+v, want p50 400ms, max 1.4s", got.FromStart)
	}
	if got.PerProxy.Max != 400*time.Millisecond || got.PerProxy.P50 != 400*time.Millisecond {
		t.Errorf("per proxy = %+v, want 400ms for both", got.PerProxy)
	}
}

// The report's memory figures come from this process's own /proc entry.
func TestProcStatsOfReadsRSSFigures(t *testing.T) {
	ps, err := ProcStatsOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if ps.RSSBytes <= 0 || ps.PeakRSSBytes < ps.RSSBytes || ps.FileRSSBytes <= 0 || ps.FileRSSBytes > ps.RSSBytes {
		t.Errorf("RSS %d, peak %d, file-backed %d: want 0 < file <= RSS <= peak", ps.RSSBytes, ps.PeakRSSBytes, ps.FileRSSBytes)
	}
}
