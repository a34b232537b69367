package simulate

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/weftmesh/weft/pilot/debug"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/server"
)

// oneProxy serves one proxy's resources to weftd's debug handler.
type oneProxy struct{ res xds.Resources }

func (oneProxy) Ready() bool                              { return true }
func (oneProxy) Status() []server.ProxyStatus             { return nil }
func (p oneProxy) Resources(string) (xds.Resources, bool) { return p.res, true }

// weftDump is weftd's /debug/config_dump of res, from its own handler.
func weftDump(t testing.TB, res xds.Resources) []byte {
	t.Helper()
	h := debug.Handler(oneProxy{res}, prometheus.NewRegistry())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/config_dump?proxy=p", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("config_dump: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// envoyDump is res as Envoy's admin /config_dump?include_eds shows it:
// every resource dynamic, plus a bootstrap section.
func envoyDump(t testing.TB, res xds.Resources) []byte {
	t.Helper()
	ls, rs, cs, es := &adminv3.ListenersConfigDump{}, &adminv3.RoutesConfigDump{}, &adminv3.ClustersConfigDump{}, &adminv3.EndpointsConfigDump{}
	for _, r := range res.List(resource.ListenerType) {
		ls.DynamicListeners = append(ls.DynamicListeners, &adminv3.ListenersConfigDump_DynamicListener{
			Name: nameOf(r), ActiveState: &adminv3.ListenersConfigDump_DynamicListenerState{Listener: dumpAny(t, r)}})
	}
	for _, r := range res.List(resource.RouteType) {
		rs.DynamicRouteConfigs = append(rs.DynamicRouteConfigs, &adminv3.RoutesConfigDump_DynamicRouteConfig{RouteConfig: dumpAny(t, r)})
	}
	for _, r := range res.List(resource.ClusterType) {
		cs.DynamicActiveClusters = append(cs.DynamicActiveClusters, &adminv3.ClustersConfigDump_DynamicCluster{Cluster: dumpAny(t, r)})
	}
	for _, r := range res.List(resource.EndpointType) {
		es.DynamicEndpointConfigs = append(es.DynamicEndpointConfigs, &adminv3.EndpointsConfigDump_DynamicEndpointConfig{EndpointConfig: dumpAny(t, r)})
	}
	d := &adminv3.ConfigDump{Configs: []*anypb.Any{dumpAny(t, &adminv3.BootstrapConfigDump{}), dumpAny(t, ls), dumpAny(t, cs), dumpAny(t, rs), dumpAny(t, es)}}
	b, err := protojson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func nameOf(r types.Resource) string {
	return r.ProtoReflect().Get(r.ProtoReflect().Descriptor().Fields().ByName("name")).String()
}

func dumpAny(t testing.TB, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A dump round-trips: both dump shapes of weft's resources give the
// Config FromResources gives, listeners in the same order.
func TestFromConfigDumpRoundTrip(t *testing.T) {
	for _, fixture := range []string{"mtls.in.yaml", "destinationrule.in.yaml", "http-features.in.yaml"} {
		res := weftResources(t, fixture)
		want := FromResources(res)
		for shape, dump := range map[string][]byte{"envoy": envoyDump(t, res), "weft": weftDump(t, res)} {
			got, err := FromConfigDump(dump)
			if err != nil {
				t.Fatalf("%s %s: %v", fixture, shape, err)
			}
			if diff := configDiff(got, want); diff != "" {
				t.Errorf("%s %s dump: %s", fixture, shape, diff)
			}
		}
	}
}

// configDiff names the first difference between two Configs.
func configDiff(a, b *Config) string {
	if len(a.Listeners) != len(b.Listeners) {
		return "listener count differs"
	}
	for i := range a.Listeners {
		if !proto.Equal(a.Listeners[i], b.Listeners[i]) {
			return "listener " + b.Listeners[i].GetName() + " differs (or is out of order)"
		}
	}
	for _, d := range []string{mapDiff("route", a.Routes, b.Routes), mapDiff("cluster", a.Clusters, b.Clusters),
		mapDiff("endpoints", a.Endpoints, b.Endpoints), mapDiff("secret", a.Secrets, b.Secrets)} {
		if d != "" {
			return d
		}
	}
	return ""
}

func mapDiff[T proto.Message](kind string, a, b map[string]T) string {
	if len(a) != len(b) {
		return kind + " count differs"
	}
	for name, r := range b {
		if got, ok := a[name]; !ok || !proto.Equal(got, r) {
			return kind + " " + name + " differs"
		}
	}
	return ""
}

const clustersDump = `{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
  "static_clusters": [{"cluster": {"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "name": "BlackHoleCluster", "type": "STATIC"}}]}`

// Bad input gets an error saying what is wrong and where.
func TestFromConfigDumpErrors(t *testing.T) {
	good := weftDump(t, weftResources(t, "mtls.in.yaml"))
	tests := []struct {
		name, input, want string
	}{
		{"empty input", "  \n", "empty config dump"},
		{"truncated", string(good[:len(good)/2]), "truncated or malformed JSON at byte"},
		{"malformed", `{"configs": [}`, "truncated or malformed JSON at byte 14"},
		{"array", `[1, 2]`, "not an Envoy or weft config dump: the top level is an array"},
		{"another object", `{"kind": "Pod", "metadata": {}}`, `not an Envoy or weft config dump: unexpected key "kind"`},
		{"configs not an array", `{"configs": 3}`, "not an Envoy or weft config dump"},
		{"section without @type", `{"configs": [{"static_clusters": []}]}`, `configs[0] has no "@type"`},
		{"unknown section @type", `{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.MemoryDump"}]}`, `unknown @type "type.googleapis.com/envoy.admin.v3.MemoryDump"`},
		{"unknown nested @type", `{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
			"static_clusters": [{"cluster": {"@type": "type.googleapis.com/acme.Cluster"}}]}]}`, `unknown @type "type.googleapis.com/acme.Cluster"`},
		{"unknown weft type URL", `{"type.googleapis.com/envoy.config.route.v3.VirtualHost": []}`, `unknown @type "type.googleapis.com/envoy.config.route.v3.VirtualHost"`},
		{"empty Envoy dump", `{"configs": []}`, "empty config dump"},
		{"empty weft dump", `{}`, "empty config dump"},
		{"duplicate cluster", `{"configs": [` + clustersDump + `,` + clustersDump + `]}`, `duplicate cluster "BlackHoleCluster"`},
		{"bad field", `{"type.googleapis.com/envoy.config.cluster.v3.Cluster": [{"nmae": "x"}]}`, `Cluster[0]: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromConfigDump([]byte(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// The bootstrap section is accepted unread, even with extension types
// the simulator does not link (it is weft-agent's, not weftd's).
func TestFromConfigDumpIgnoresBootstrap(t *testing.T) {
	dump := `{"configs": [
	  {"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
	   "bootstrap": {"stats_sinks": [{"typed_config": {"@type": "type.googleapis.com/acme.Sink"}}]}},
	  ` + clustersDump + `]}`
	c, err := FromConfigDump([]byte(dump))
	if err != nil || len(c.Clusters) != 1 {
		t.Fatalf("FromConfigDump = %v, %v; want one cluster", c, err)
	}
}

// smallest keeps the n smallest resources of each type: seeds of a few
// kilobytes, since the fuzzer minimizes every new input it finds and a
// whole proxy's dump takes it minutes.
func smallest(res xds.Resources, n int) xds.Resources {
	out := xds.Resources{}
	for typ := range res {
		list := res.List(typ)
		sort.SliceStable(list, func(i, j int) bool { return proto.Size(list[i]) < proto.Size(list[j]) })
		for _, r := range list[:min(n, len(list))] {
			out.Add(typ, r)
		}
	}
	return out
}

func FuzzFromConfigDump(f *testing.F) {
	res := smallest(weftResources(f, "mtls.in.yaml"), 2)
	f.Add(envoyDump(f, res))
	f.Add(weftDump(f, res))
	f.Add([]byte(`{"configs": [` + clustersDump + `]}`))
	f.Add([]byte(`{"type.googleapis.com/envoy.config.cluster.v3.Cluster": [{"name": "x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := FromConfigDump(data)
		if err != nil {
			return
		}
		if c.empty() {
			t.Fatal("FromConfigDump accepted an empty dump")
		}
		// Whatever is accepted must be usable by the upstream stage.
		for name := range c.Clusters {
			_ = c.upstream(name, httpReq, &Result{})
		}
	})
}
