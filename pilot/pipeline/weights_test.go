package pipeline

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/validation"
	"github.com/weftmesh/weft/pilot/xds"
)

// weightsMesh is reviews (gRPC, subsets v1..v3) and db (TCP, subsets
// primary and replica); a case appends its VirtualService.
const weightsMesh = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  clusterIP: 10.96.0.20
  selector: {app: reviews}
  ports: [{name: grpc, port: 9080, targetPort: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: 10.96.0.30
  selector: {app: db}
  ports: [{name: tcp, port: 5432, targetPort: 5432}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
  - {name: v3, labels: {version: v3}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db, namespace: default}
spec:
  host: db
  subsets:
  - {name: primary, labels: {role: primary}}
  - {name: replica, labels: {role: replica}}
---
`

// weightsVS is a VirtualService for host (reviews: http, db: tcp) sending
// to the given subsets with the given weights ("-" leaves the weight out).
func weightsVS(host string, subsets []string, weights []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: %s, namespace: default}\nspec:\n  hosts: [%s]\n", host, host)
	if host == "db" {
		b.WriteString("  tcp:\n")
	} else {
		b.WriteString("  http:\n")
	}
	b.WriteString("  - route:\n")
	for i, s := range subsets {
		fmt.Fprintf(&b, "    - destination: {host: %s, subset: %s}\n", host, s)
		if weights[i] != "-" {
			fmt.Fprintf(&b, "      weight: %s\n", weights[i])
		}
	}
	return b.String()
}

func weightsSnapshot(t *testing.T, vs string) *config.Snapshot {
	t.Helper()
	objs, errs := config.Decode("weights.yaml", []byte(weightsMesh+vs))
	for _, e := range errs {
		t.Fatalf("decode: %v", e)
	}
	b := config.NewBuilder()
	for _, o := range objs {
		if e := b.Add(o); e != nil {
			t.Fatalf("add: %v", e)
		}
	}
	return b.Finish()
}

// Istio's weight is a relative share: a destination receives weight/(sum
// of the route's weights). Every split `istioctl validate` accepts must be
// accepted and reach Envoy and grpc-go with its weights as written (both
// divide by the sum) and no total_weight; a lone destination takes all
// traffic whatever its weight.
func TestIstioValidWeightsKeepTheirRelativeSplit(t *testing.T) {
	reviews := func(s string) string { return "outbound|9080|" + s + "|reviews.default.svc.cluster.local" }
	db := func(s string) string { return "outbound|5432|" + s + "|db.default.svc.cluster.local" }
	tests := []struct {
		name    string
		host    string
		subsets []string
		weights []string
		want    []string // "cluster=weight", or "cluster" when routed directly
		shares  []string // each listed cluster's share of traffic, weight/sum
	}{
		{"60+30 sums to 90", "reviews", []string{"v1", "v2"}, []string{"60", "30"},
			[]string{reviews("v1") + "=60", reviews("v2") + "=30"}, []string{"66.7%", "33.3%"}},
		{"33+33+33 sums to 99", "reviews", []string{"v1", "v2", "v3"}, []string{"33", "33", "33"},
			[]string{reviews("v1") + "=33", reviews("v2") + "=33", reviews("v3") + "=33"}, []string{"33.3%", "33.3%", "33.3%"}},
		{"1+2", "reviews", []string{"v1", "v2"}, []string{"1", "2"},
			[]string{reviews("v1") + "=1", reviews("v2") + "=2"}, []string{"33.3%", "66.7%"}},
		{"50+60 sums to 110", "reviews", []string{"v1", "v2"}, []string{"50", "60"},
			[]string{reviews("v1") + "=50", reviews("v2") + "=60"}, []string{"45.5%", "54.5%"}},
		{"100+0: the 0 destination receives nothing", "reviews", []string{"v1", "v2"}, []string{"100", "0"},
			[]string{reviews("v1") + "=100"}, []string{"100.0%"}},
		{"a lone destination with weight 0 takes all traffic", "reviews", []string{"v2"}, []string{"0"},
			[]string{reviews("v2")}, []string{"100.0%"}},
		{"TCP 30+30", "db", []string{"primary", "replica"}, []string{"30", "30"},
			[]string{db("primary") + "=30", db("replica") + "=30"}, []string{"50.0%", "50.0%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := weightsSnapshot(t, weightsVS(tt.host, tt.subsets, tt.weights))
			for _, e := range validation.ValidateSnapshot(snap) {
				t.Errorf("rejected, Istio accepts it: %v", e)
			}
			m := translate.Translate(snap, "weights")
			for _, d := range m.Diagnostics {
				t.Errorf("diagnostic: %s %s: %s", d.Ref, d.Field, d.Message)
			}
			kinds := []xds.Kind{xds.KindSidecar, xds.KindProxyless}
			if tt.host == "db" {
				kinds = kinds[:1] // proxyless gRPC has no TCP routes
			}
			for _, kind := range kinds {
				res := generate(t, m, kind)
				if err := res.Validate(); err != nil {
					t.Fatalf("%s: %v", kind, err)
				}
				var got, shares []string
				if tt.host == "db" {
					got, shares = tcpSplit(t, res, "db.default.svc.cluster.local")
				} else {
					got, shares = httpSplit(t, res, "reviews.default.svc.cluster.local")
				}
				if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(shares, tt.shares) {
					t.Errorf("%s: split %v (shares %v), want %v (%v)", kind, got, shares, tt.want, tt.shares)
				}
			}
		})
	}
}

// What Istio rejects, weft rejects, with a message that says why.
func TestIstioInvalidWeightsRejected(t *testing.T) {
	tests := []struct {
		name, host     string
		subsets        []string
		weights        []string
		field, message string
	}{
		{"0+0", "reviews", []string{"v1", "v2"}, []string{"0", "0"},
			"spec.http[0].route", "all 2 destination weights are 0, so no destination would receive traffic"},
		{"omitted weights among several are 0", "reviews", []string{"v1", "v2"}, []string{"-", "-"},
			"spec.http[0].route", "all 2 destination weights are 0"},
		{"-10+110", "reviews", []string{"v1", "v2"}, []string{"-10", "110"},
			"spec.http[0].route[0].weight", "weight must not be negative, got -10"},
		{"a lone negative weight", "reviews", []string{"v1"}, []string{"-5"},
			"spec.http[0].route[0].weight", "weight must not be negative, got -5"},
		{"TCP 0+0", "db", []string{"primary", "replica"}, []string{"0", "0"},
			"spec.tcp[0].route", "all 2 destination weights are 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := validation.ValidateSnapshot(weightsSnapshot(t, weightsVS(tt.host, tt.subsets, tt.weights)))
			if len(errs) != 1 || errs[0].Field != tt.field || !strings.Contains(errs[0].Message, tt.message) {
				t.Fatalf("got %v, want one error at %s: ...%s...", errs, tt.field, tt.message)
			}
		})
	}
}

// httpSplit returns the first route of host's virtual host, as
// "cluster=weight" entries (or the lone cluster), with each entry's share
// of the weights' sum. Every RouteConfiguration with that virtual host
// (proxyless asks by FQDN and by short name) must agree, and none may set
// total_weight.
func httpSplit(t *testing.T, res xds.Resources, host string) ([]string, []string) {
	t.Helper()
	var got, shares []string
	for _, r := range res.List(resource.RouteType) {
		for _, vh := range r.(*routev3.RouteConfiguration).GetVirtualHosts() {
			if !strings.HasPrefix(vh.GetName(), host+":") || len(vh.GetRoutes()) == 0 {
				continue
			}
			var g, sh []string
			a := vh.GetRoutes()[0].GetRoute()
			if c := a.GetCluster(); c != "" {
				g, sh = []string{c}, []string{"100.0%"}
			} else {
				wc := a.GetWeightedClusters()
				//lint:ignore SA1019 total_weight is deprecated; the test checks it stays unset
				if tw := wc.GetTotalWeight(); tw != nil {
					t.Errorf("%s: total_weight %d set", vh.GetName(), tw.GetValue())
				}
				var ws []uint32
				for _, c := range wc.GetClusters() {
					g = append(g, fmt.Sprintf("%s=%d", c.GetName(), c.GetWeight().GetValue()))
					ws = append(ws, c.GetWeight().GetValue())
				}
				sh = sharesOf(ws)
			}
			if got != nil && !reflect.DeepEqual(g, got) {
				t.Errorf("route configurations disagree: %v and %v", got, g)
			}
			got, shares = g, sh
		}
	}
	if got == nil {
		t.Fatalf("no route for %s", host)
	}
	return got, shares
}

// tcpSplit is httpSplit for the TCP proxy of host's outbound listener.
func tcpSplit(t *testing.T, res xds.Resources, host string) ([]string, []string) {
	t.Helper()
	var got, shares []string
	for _, l := range res.List(resource.ListenerType) {
		for _, fc := range l.(*listenerv3.Listener).GetFilterChains() {
			for _, f := range fc.GetFilters() {
				tp := &tcpv3.TcpProxy{}
				if f.GetTypedConfig().UnmarshalTo(tp) != nil {
					continue
				}
				var ws []uint32
				var names []string
				for _, c := range tp.GetWeightedClusters().GetClusters() {
					names = append(names, fmt.Sprintf("%s=%d", c.GetName(), c.GetWeight()))
					ws = append(ws, c.GetWeight())
				}
				if len(names) > 0 && strings.HasSuffix(names[0][:strings.LastIndex(names[0], "=")], host) {
					got, shares = append(got, names...), append(shares, sharesOf(ws)...)
				}
			}
		}
	}
	if got == nil {
		t.Fatalf("no weighted TCP proxy for %s", host)
	}
	return got, shares
}

func sharesOf(ws []uint32) []string {
	sum := uint64(0)
	for _, w := range ws {
		sum += uint64(w)
	}
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = fmt.Sprintf("%.1f%%", 100*float64(w)/float64(sum))
	}
	return out
}
