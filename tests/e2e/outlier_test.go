package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/tests/harness"
)

const poolHost = "pool.default.svc.cluster.local"

// poolYAML is a Service with one ready pod per IP, all on port.
func poolYAML(port int, ips []string) string {
	var eps, pods []string
	for i, ip := range ips {
		name := fmt.Sprintf("pool-%d", i)
		eps = append(eps, fmt.Sprintf("- {addresses: [%s], conditions: {ready: true}, targetRef: {kind: Pod, name: %s, namespace: default}}", ip, name))
		pods = append(pods, fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: default, labels: {app: pool}}
spec: {containers: [{name: pool, image: x, ports: [{name: grpc, containerPort: %d}]}]}
status: {phase: Running, podIP: %s, podIPs: [{ip: %s}]}
`, name, port, ip, ip))
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: pool, namespace: default}
spec: {selector: {app: pool}, ports: [{name: grpc, port: 9080, targetPort: %d}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: pool-1, namespace: default, labels: {kubernetes.io/service-name: pool}}
addressType: IPv4
ports: [{name: grpc, port: %d, protocol: TCP}]
endpoints:
%s
---
%s`, port, port, strings.Join(eps, "\n"), strings.Join(pods, "---\n"))
}

// poolOutlier is the pool's DestinationRule with the given outlier fields.
func poolOutlier(fields string) string {
	return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: pool, namespace: default}
spec:
  host: pool
  trafficPolicy:
    outlierDetection: {interval: 1s, baseEjectionTime: 5m, maxEjectionPercent: 50%s}
`, fields)
}

// DestinationRule outlierDetection.failurePercentageThreshold: "If the
// failure percentage of a given host is greater than or equal to this
// value, it will be ejected." grpc-go ejects by failure percentage once at
// least 5 hosts each took 50 calls in an interval. One of five backends
// fails every call: with outlier detection but no threshold its share
// keeps failing over several intervals; with the threshold it is ejected.
func TestFailurePercentageEjectsAFailingBackend(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := harness.StartWeftd(t, harness.WeftdOptions{})
	t.Cleanup(func() { assertNoNACKs(t, w) })
	ips := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"}
	port, err := harness.FreeCommonPort(ips...)
	must(t, err)
	must(t, w.WriteConfig("pool.yaml", poolYAML(port, ips)))
	must(t, w.WriteConfig("pool-dr.yaml", poolOutlier("")))
	var backends []*grpcapp.Backend
	for i, ip := range ips {
		b, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{Name: fmt.Sprintf("pool-%d", i), Addr: fmt.Sprintf("%s:%d", ip, port),
			XDSAddr: w.XDSAddr, Labels: map[string]string{"app": "pool"}, Logf: t.Logf, FailAll: i == 0})
		must(t, err)
		t.Cleanup(b.Stop)
		backends = append(backends, b)
	}
	must(t, grpcapp.WaitServing(ctx, backends...))
	c, err := grpcapp.NewClient(ctx, grpcapp.ClientOptions{Target: poolHost + ":9080", XDSAddr: w.XDSAddr})
	must(t, err)
	t.Cleanup(func() { c.Close() })

	batch := grpcapp.WaitOptions{Batch: grpcapp.RunOptions{N: 500, Concurrency: 10}}
	_, err = grpcapp.WaitForWith(ctx, c, someFail(), batch)
	must(t, err)
	if r := loadFor(ctx, c, 3*time.Second, batch.Batch); r.ByCode[codes.Unavailable] == 0 {
		t.Fatalf("without failurePercentageThreshold the failing backend stopped failing: %v", r)
	}

	must(t, w.WriteConfig("pool-dr.yaml", poolOutlier(", failurePercentageThreshold: 50")))
	_, err = grpcapp.WaitForWith(ctx, c, grpcapp.AllSucceed(), batch)
	must(t, err)
	failed := backends[0].Failed()
	if r := c.Run(ctx, grpcapp.RunOptions{N: 1000, Concurrency: 10}); r.OK() != 1000 || backends[0].Failed() != failed {
		t.Errorf("after ejection want 1000 OK and no call on the failing backend, got %v and %d more failures", r, backends[0].Failed()-failed)
	}
}

// someFail holds when a batch had both successes and UNAVAILABLE calls.
func someFail() grpcapp.Predicate {
	return func(r grpcapp.Result) bool { return r.OK() > 0 && r.ByCode[codes.Unavailable] > 0 }
}

// loadFor runs batches for at least d (several outlier intervals) and
// returns the last one.
func loadFor(ctx context.Context, c *grpcapp.Client, d time.Duration, b grpcapp.RunOptions) grpcapp.Result {
	var last grpcapp.Result
	for end := time.Now().Add(d); time.Now().Before(end) && ctx.Err() == nil; {
		last = c.Run(ctx, b)
	}
	return last
}
