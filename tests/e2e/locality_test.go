package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/tests/harness"
)

// localityHost is a ServiceEntry whose WorkloadEntries sit in two zones.
const localityHost = "backends.locality.internal"

// backendAt is one proxyless backend and the WorkloadEntry naming it.
type backendAt struct{ name, ip, locality string }

var zoned = []backendAt{
	{"local-1", "127.0.0.2", "us-east/zone-a"}, {"local-2", "127.0.0.3", "us-east/zone-a"},
	{"remote-1", "127.0.0.4", "us-east/zone-b"}, {"remote-2", "127.0.0.5", "us-east/zone-b"},
}

// localityYAML: the ServiceEntry, one WorkloadEntry per backend with its
// locality, and the DestinationRule: outlierDetection, which Istio requires
// for failover, and an explicit localityLbSetting.
func localityYAML(port int, dr string) string {
	docs := []string{fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: backends, namespace: default}
spec:
  hosts: [%s]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{name: grpc, number: 9080, protocol: GRPC, targetPort: %d}]
  workloadSelector: {labels: {app: backends}}`, localityHost, port), dr}
	for _, b := range zoned {
		docs = append(docs, fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: %s, namespace: default}
spec: {address: %s, labels: {app: backends}, locality: %s}`, b.name, b.ip, b.locality))
	}
	return strings.Join(docs, "\n---\n")
}

const failoverDR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: backends, namespace: default}
spec:
  host: ` + localityHost + `
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 30s}
    loadBalancer:
      simple: ROUND_ROBIN
      localityLbSetting: {enabled: true}`

// startZoned runs weftd with the zoned backends and one client whose
// bootstrap places it in us-east/zone-a.
func startZoned(ctx context.Context, t *testing.T, dr string) (map[string]*grpcapp.Backend, *grpcapp.Client) {
	t.Helper()
	w := harness.StartWeftd(t, harness.WeftdOptions{})
	t.Cleanup(func() { assertNoNACKs(t, w) })
	port, err := harness.FreeCommonPort("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
	must(t, err)
	must(t, w.WriteConfig("backends.yaml", localityYAML(port, dr)))
	backends := map[string]*grpcapp.Backend{}
	var all []*grpcapp.Backend
	for _, z := range zoned {
		b, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{Name: z.name, Addr: fmt.Sprintf("%s:%d", z.ip, port),
			XDSAddr: w.XDSAddr, Labels: map[string]string{"app": "backends"}, Logf: t.Logf})
		must(t, err)
		t.Cleanup(b.Stop)
		backends[z.name] = b
		all = append(all, b)
	}
	must(t, grpcapp.WaitServing(ctx, all...))
	c, err := grpcapp.NewClient(ctx, grpcapp.ClientOptions{Target: localityHost + ":9080", XDSAddr: w.XDSAddr,
		PodName: "client", Locality: "us-east/zone-a"})
	must(t, err)
	t.Cleanup(func() { c.Close() })
	return backends, c
}

// Istio's locality failover: traffic stays in the client's zone while its
// endpoints are healthy, and moves to the next priority (the other zone)
// when they fail. grpc-go's priority balancer does this from weftd's EDS.
// Once a remote backend has served, no RPC may fail.
func TestLocalityFailover(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	backends, c := startZoned(ctx, t, failoverDR)
	_, err := grpcapp.WaitFor(ctx, c, grpcapp.And(grpcapp.AllSucceed(), grpcapp.SeesAll("local-1", "local-2")))
	must(t, err)
	res := c.Run(ctx, grpcapp.RunOptions{N: 400, Concurrency: 4})
	if res.OK() != 400 || res.ByBackend["local-1"]+res.ByBackend["local-2"] != 400 {
		t.Fatalf("before failover want all 400 RPCs on the zone-a backends, got %v", res)
	}

	rec := startRecording(ctx, c, lastOnAny(200, "remote-1", "remote-2"))
	must(t, rec.waitFor(ctx, lastOnAny(50, "local-1", "local-2")))
	backends["local-1"].Stop()
	backends["local-2"].Stop()
	calls, err := rec.wait(ctx)
	must(t, err)
	checkFailover(t, calls)
}

// checkFailover: after the first RPC served in zone-b, none fails and none
// is served in zone-a; both zone-b backends take traffic.
func checkFailover(t *testing.T, calls []call) {
	t.Helper()
	first := slices.IndexFunc(calls, func(c call) bool { return c.err == nil && strings.HasPrefix(c.backend, "remote-") })
	if first < 0 {
		t.Fatalf("no RPC reached zone-b in %d calls", len(calls))
	}
	failedBefore, seen := 0, map[string]int{}
	for i, c := range calls {
		switch {
		case c.err != nil && i < first:
			failedBefore++
		case c.err != nil:
			t.Errorf("call %d of %d failed after failover: %v", i, len(calls), c.err)
		case i > first && strings.HasPrefix(c.backend, "local-"):
			t.Errorf("call %d served by stopped %s after failover", i, c.backend)
		default:
			seen[c.backend]++
		}
	}
	if seen["remote-1"] == 0 || seen["remote-2"] == 0 {
		t.Errorf("want both zone-b backends after failover, served %v", seen)
	}
	t.Logf("%d calls; %d failed before the first zone-b success at call %d (logged, not asserted); served %v",
		len(calls), failedBefore, first, seen)
}

// lastOnAny holds when the last n calls all succeeded on one of backends.
func lastOnAny(n int, backends ...string) func([]call) bool {
	return func(calls []call) bool {
		if len(calls) < n {
			return false
		}
		for _, c := range calls[len(calls)-n:] {
			if c.err != nil || !slices.Contains(backends, c.backend) {
				return false
			}
		}
		return true
	}
}

// Without outlierDetection Istio sets no priorities ("if no
// OutlierDetection specified, this will not take effect"): the client
// balances over both zones.
func TestLocalityNeedsOutlierDetection(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	noOutlier := strings.Replace(failoverDR, "    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 30s}\n", "", 1)
	_, c := startZoned(ctx, t, noOutlier)
	res, err := grpcapp.WaitFor(ctx, c, grpcapp.And(grpcapp.AllSucceed(), grpcapp.SeesAll("local-1", "local-2", "remote-1", "remote-2")))
	must(t, err)
	t.Logf("without outlierDetection: %v", res)
}
