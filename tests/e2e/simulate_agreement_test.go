package e2e

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/pilot/simulate"
	"github.com/weftmesh/weft/pilot/simulate/offline"
	"github.com/weftmesh/weft/tests/harness"
)

// agreementRules: header matches of every kind (exact, prefix, regex,
// present, withoutHeaders), gRPC method (path) matches, weighted splits
// (50/50, 100/0, 10/90, 30/70, 75/25) and a 90/10 default. grpcapp's client
// calls /grpc.testing.TestService/UnaryCall; the OtherService rule never
// matches it.
const agreementRules = `  - name: exact-beta
    match: [{headers: {x-group: {exact: beta}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - name: prefix-test-users
    match: [{headers: {x-user: {prefix: test-}}}]
    route:
    - {destination: {host: reviews, subset: v1}, weight: 50}
    - {destination: {host: reviews, subset: v2}, weight: 50}
  - name: regex-release-build
    match: [{headers: {x-build: {regex: "[0-9]+\\.[0-9]+"}}}]
    route:
    - {destination: {host: reviews, subset: v1}, weight: 100}
    - {destination: {host: reviews, subset: v2}, weight: 0}
  - name: debug-present
    match: [{headers: {x-debug: {}}}]
    route:
    - {destination: {host: reviews, subset: v1}, weight: 10}
    - {destination: {host: reviews, subset: v2}, weight: 90}
  - name: eu-without-canary
    match: [{headers: {x-region: {exact: eu}}, withoutHeaders: {x-canary: {}}}]
    route:
    - {destination: {host: reviews, subset: v1}, weight: 30}
    - {destination: {host: reviews, subset: v2}, weight: 70}
  - name: other-service-method
    match: [{uri: {prefix: /grpc.testing.OtherService/}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - name: unary-method-exact
    match: [{uri: {exact: /grpc.testing.TestService/UnaryCall}, headers: {x-path-test: {exact: "1"}}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - name: service-prefix-gold
    match: [{uri: {prefix: /grpc.testing.TestService/}, headers: {x-tier: {exact: gold}}}]
    route:
    - {destination: {host: reviews, subset: v1}, weight: 75}
    - {destination: {host: reviews, subset: v2}, weight: 25}
  - name: default-canary
    route:
    - {destination: {host: reviews, subset: v1}, weight: 90}
    - {destination: {host: reviews, subset: v2}, weight: 10}
`

// agreementCase is one request: its metadata, and the rule a person reading
// the VirtualService expects it to take (checked against the simulator, which
// the RPCs then check).
type agreementCase struct {
	headers map[string]string
	rule    string
}

var agreementCases = []agreementCase{
	{nil, "default-canary"},
	{map[string]string{"x-group": "beta"}, "exact-beta"},
	{map[string]string{"x-group": "Beta"}, "default-canary"},   // exact is case-sensitive
	{map[string]string{"x-group": "beta-1"}, "default-canary"}, // exact is not a prefix
	{map[string]string{"x-user": "test-alice"}, "prefix-test-users"},
	{map[string]string{"x-user": "test-"}, "prefix-test-users"}, // the prefix itself matches
	{map[string]string{"x-user": "prod-alice"}, "default-canary"},
	{map[string]string{"x-build": "1.2"}, "regex-release-build"},
	{map[string]string{"x-build": "10.20"}, "regex-release-build"},
	{map[string]string{"x-build": "1.2.3"}, "default-canary"}, // the regex must match the whole value
	{map[string]string{"x-debug": "1"}, "debug-present"},
	{map[string]string{"x-debug": "anything"}, "debug-present"},
	{map[string]string{"x-region": "eu"}, "eu-without-canary"},
	{map[string]string{"x-region": "eu", "x-canary": "1"}, "default-canary"}, // withoutHeaders
	{map[string]string{"x-region": "us"}, "default-canary"},
	{map[string]string{"x-canary": "1"}, "default-canary"},
	{map[string]string{"x-path-test": "1"}, "unary-method-exact"},
	{map[string]string{"x-path-test": "2"}, "default-canary"},
	{map[string]string{"x-tier": "gold"}, "service-prefix-gold"},
	{map[string]string{"x-tier": "silver"}, "default-canary"},
	{map[string]string{"x-group": "beta", "x-user": "test-a"}, "exact-beta"},        // the first rule wins
	{map[string]string{"x-user": "test-a", "x-build": "1.2"}, "prefix-test-users"},  // the first rule wins
	{map[string]string{"x-debug": "1", "x-path-test": "1"}, "debug-present"},        // before the method rule
	{map[string]string{"x-path-test": "1", "x-tier": "gold"}, "unary-method-exact"}, // before the prefix rule
	{map[string]string{"x-region": "eu", "x-tier": "gold"}, "eu-without-canary"},    // before the prefix rule
	// grpc-go counts a header with an empty value as absent (Envoy would not)
	{map[string]string{"x-region": "eu", "x-canary": ""}, "eu-without-canary"},
}

const agreementRPCs = 2000

// The simulator agrees with real grpc-go clients: for each request of the
// table, weftd's config for the proxyless client (its /debug/config_dump)
// simulated gives the route the VirtualService means and a split over the
// route's clusters; 2000 real RPCs with the same metadata land on the
// backends of those clusters in the simulated proportions, within a
// binomial bound (4.5 standard deviations, plus one call), and on no other.
func TestSimulatorAgreesWithGRPC(t *testing.T) {
	t.Parallel()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	env := startAgreementEnv(ctx, t)

	cfg := env.dumpConfig(ctx, t)
	offlineCfg := env.offlineConfig(t)
	byAddr := map[string]string{}
	for _, b := range env.backends {
		byAddr[b.Addr()] = b.Name()
	}
	for i, c := range agreementCases {
		name := fmt.Sprintf("%02d %s", i, headerText(c.headers))
		res := simulateCall(t, cfg, c.headers)
		if res == nil {
			continue
		}
		if res.Route != c.rule+".0" { // weft names a rule's routes NAME.MATCH_INDEX
			t.Errorf("%s: simulated route %q, want %q (the VirtualService's rule)", name, res.Route, c.rule)
		}
		if off := simulateCall(t, offlineCfg, c.headers); off != nil && (off.Route != res.Route || !sameClusters(off, res)) {
			t.Errorf("%s: offline.Build simulates %s %v, weftd's dump %s %v", name, off.Route, off.Action.Clusters, res.Route, res.Action.Clusters)
		}
		want, err := backendShares(res, byAddr)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := env.client.Run(ctx, grpcapp.RunOptions{N: agreementRPCs, Concurrency: 8, Headers: c.headers})
		if got.OK() != agreementRPCs {
			t.Errorf("%s: %d of %d RPCs failed: %v", name, got.Failed(), agreementRPCs, got.Errors)
			continue
		}
		t.Logf("%s: route %s, simulated %s, observed %s", name, res.Route, shareText(want), countText(got.ByBackend))
		checkAgreement(t, name, want, got.ByBackend)
	}
	t.Logf("%d requests × %d RPCs in %v", len(agreementCases), agreementRPCs, time.Since(start).Round(time.Millisecond))
}

type agreementEnv struct {
	w        *harness.Weftd
	backends []*grpcapp.Backend
	client   *grpcapp.Client
	nodeID   string
	files    map[string]string
}

// startAgreementEnv: one weftd, reviews-v1/v2 and one client for the whole
// table; it returns once the rules are in force on the client (the exact
// rule sends every call to v2, which no other config of reviews does).
func startAgreementEnv(ctx context.Context, t *testing.T) *agreementEnv {
	t.Helper()
	w := harness.StartWeftd(t, harness.WeftdOptions{})
	t.Cleanup(func() { assertNoNACKs(t, w) })
	port, err := harness.FreeCommonPort("127.0.0.2", "127.0.0.3")
	must(t, err)
	env := &agreementEnv{w: w, nodeID: grpcapp.NodeID("127.0.0.1", "simclient", "default"),
		files: map[string]string{"reviews.yaml": reviewsYAML(port), "reviews-routing.yaml": vsYAML(agreementRules)}}
	for _, name := range []string{"reviews.yaml", "reviews-routing.yaml"} {
		must(t, w.WriteConfig(name, env.files[name]))
	}
	for i, v := range []string{"v1", "v2"} {
		b, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{
			Name: "reviews-" + v, Addr: fmt.Sprintf("127.0.0.%d:%d", i+2, port), XDSAddr: w.XDSAddr,
			Labels: map[string]string{"app": "reviews", "version": v}, Logf: t.Logf,
		})
		must(t, err)
		t.Cleanup(b.Stop)
		env.backends = append(env.backends, b)
	}
	must(t, grpcapp.WaitServing(ctx, env.backends...))
	env.client, err = grpcapp.NewClient(ctx, grpcapp.ClientOptions{Target: reviewsHost + ":9080", XDSAddr: w.XDSAddr, PodName: "simclient"})
	must(t, err)
	t.Cleanup(func() { env.client.Close() })
	_, err = grpcapp.WaitForWith(ctx, env.client, grpcapp.AllOn("reviews-v2"),
		grpcapp.WaitOptions{Batch: grpcapp.RunOptions{N: 20, Concurrency: 4, Headers: map[string]string{"x-group": "beta"}}})
	must(t, err)
	_, err = grpcapp.WaitFor(ctx, env.client, grpcapp.And(grpcapp.AllSucceed(), grpcapp.SeesAll("reviews-v1", "reviews-v2")))
	must(t, err)
	return env
}

// dumpConfig is what weftd serves the client, as `weftctl simulate --pod` reads it.
func (e *agreementEnv) dumpConfig(ctx context.Context, t *testing.T) *simulate.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	u := "http://" + e.w.DebugAddr + "/debug/config_dump?" + url.Values{"proxy": {e.nodeID}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	must(t, err)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	must(t, err)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %.300s", u, resp.Status, body)
	}
	cfg, err := simulate.FromConfigDump(body)
	if err != nil {
		t.Fatalf("config dump of %s: %v", e.nodeID, err)
	}
	return cfg
}

// offlineConfig is the same client's config built in process from the same
// files, as `weftctl simulate -f` builds it.
func (e *agreementEnv) offlineConfig(t *testing.T) *simulate.Config {
	t.Helper()
	var inputs []offline.Input
	for name, data := range e.files {
		inputs = append(inputs, offline.Input{Name: name, Data: []byte(data)})
	}
	sort.Slice(inputs, func(i, j int) bool { return inputs[i].Name < inputs[j].Name })
	cfg, errs, err := offline.Build(inputs, offline.Options{NodeID: e.nodeID, Proxyless: true, Targets: []string{reviewsHost + ":9080"}})
	must(t, err)
	for _, e := range errs {
		t.Errorf("offline.Build left out: %v", e)
	}
	return cfg
}

// simulateCall simulates one of grpcapp's UnaryCalls with this metadata.
func simulateCall(t *testing.T, cfg *simulate.Config, headers map[string]string) *simulate.Result {
	t.Helper()
	spec := simulate.RequestSpec{URL: "http://" + reviewsHost + ":9080/grpc.testing.TestService/UnaryCall", Protocol: "grpc", Target: true}
	for k, v := range headers {
		spec.Headers = append(spec.Headers, k+": "+v)
	}
	req, err := spec.Request()
	must(t, err)
	res, err := simulate.Simulate(cfg, req)
	if err != nil {
		t.Errorf("simulate %s: %v", headerText(headers), err)
		return nil
	}
	if res.Failure != nil {
		t.Errorf("simulate %s: %v", headerText(headers), res.Failure)
		return nil
	}
	return res
}

func sameClusters(a, b *simulate.Result) bool {
	if len(a.Action.Clusters) != len(b.Action.Clusters) {
		return false
	}
	for i := range a.Action.Clusters {
		if a.Action.Clusters[i].Name != b.Action.Clusters[i].Name || a.Action.Clusters[i].Probability != b.Action.Clusters[i].Probability {
			return false
		}
	}
	return true
}

// share is a backend's simulated probability and count of the sample.
type share struct {
	p     float64
	count int
}

// backendShares maps the simulated split to backends: each cluster's
// endpoints (simulated from EDS) are the backends it sends to.
func backendShares(res *simulate.Result, byAddr map[string]string) (map[string]share, error) {
	counts := map[string]int{}
	for _, s := range simulate.Sample(res, agreementRPCs) {
		counts[s.Cluster] = s.Count
	}
	out := map[string]share{}
	for _, c := range res.Action.Clusters {
		backends, err := clusterBackends(res, c.Name, byAddr)
		if err != nil {
			return nil, err
		}
		if c.Probability > 0 && len(backends) != 1 {
			return nil, fmt.Errorf("cluster %s reaches backends %v; each subset should be one backend", c.Name, backends)
		}
		for _, b := range backends {
			s := out[b]
			s.p += c.Probability
			s.count += counts[c.Name]
			out[b] = s
		}
	}
	return out, nil
}

func clusterBackends(res *simulate.Result, cluster string, byAddr map[string]string) ([]string, error) {
	for _, u := range res.Upstreams {
		if u.Cluster != cluster {
			continue
		}
		var out []string
		for _, e := range u.Endpoints {
			b, ok := byAddr[e.Address]
			if !ok {
				return nil, fmt.Errorf("cluster %s endpoint %s is no backend of the test", cluster, e.Address)
			}
			out = append(out, b)
		}
		return out, nil
	}
	return nil, fmt.Errorf("no simulated upstream for cluster %s", cluster)
}

// checkAgreement: every backend's observed count is within the binomial
// bound of the simulated count; a backend the simulator sends nothing to
// (p = 0, or absent) gets no call at all.
func checkAgreement(t *testing.T, name string, want map[string]share, got map[string]int) {
	t.Helper()
	for b := range got {
		if _, ok := want[b]; !ok {
			want[b] = share{}
		}
	}
	for b, s := range want {
		n := float64(agreementRPCs)
		bound := 4.5*math.Sqrt(n*s.p*(1-s.p)) + 1
		if s.p == 0 || s.p == 1 {
			bound = 0
		}
		if d := math.Abs(float64(got[b]) - float64(s.count)); d > bound {
			t.Errorf("%s: %s got %d of %d RPCs, simulator says %d (p=%.2f), bound ±%.0f", name, b, got[b], agreementRPCs, s.count, s.p, bound)
		}
	}
}

func headerText(h map[string]string) string {
	if len(h) == 0 {
		return "(no headers)"
	}
	var parts []string
	for k, v := range h {
		parts = append(parts, fmt.Sprintf("%s=%q", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func shareText(m map[string]share) string {
	counts := map[string]int{}
	for b, s := range m {
		counts[b] = s.count
	}
	return countText(counts)
}

func countText(m map[string]int) string {
	var parts []string
	for _, b := range []string{"reviews-v1", "reviews-v2"} {
		parts = append(parts, fmt.Sprintf("%s=%d", strings.TrimPrefix(b, "reviews-"), m[b]))
	}
	return strings.Join(parts, " ")
}
