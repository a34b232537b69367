package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/tests/harness"
)

const reviewsHost = "reviews.default.svc.cluster.local"

// reviewsYAML is samples/config/reviews.yaml with the pods on a free port.
func reviewsYAML(port int) string {
	pod := func(name, version, ip string) string {
		return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: default, labels: {app: reviews, version: %s}}
spec: {containers: [{name: reviews, image: x, ports: [{name: grpc, containerPort: %d}]}]}
status: {phase: Running, podIP: %s, podIPs: [{ip: %s}]}
`, name, version, port, ip, ip)
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {selector: {app: reviews}, ports: [{name: grpc, port: 9080, targetPort: %d}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-1, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: grpc, port: %d, protocol: TCP}]
endpoints:
- {addresses: [127.0.0.2], conditions: {ready: true}, targetRef: {kind: Pod, name: reviews-v1, namespace: default}}
- {addresses: [127.0.0.3], conditions: {ready: true}, targetRef: {kind: Pod, name: reviews-v2, namespace: default}}
---
%s---
%s`, port, port, pod("reviews-v1", "v1", "127.0.0.2"), pod("reviews-v2", "v2", "127.0.0.3"))
}

// routingYAML splits reviews between subsets v1 and v2.
func routingYAML(w1, w2 int) string {
	return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: %[1]s
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [%[1]s]
  http:
  - route:
    - {destination: {host: %[1]s, port: {number: 9080}, subset: v1}, weight: %[2]d}
    - {destination: {host: %[1]s, port: {number: 9080}, subset: v2}, weight: %[3]d}
`, reviewsHost, w1, w2)
}

// startReviews starts reviews-v1 on 127.0.0.2 and reviews-v2 on 127.0.0.3, same port.
func startReviews(ctx context.Context, t *testing.T, w *harness.Weftd, port int) []*grpcapp.Backend {
	var bs []*grpcapp.Backend
	for i, v := range []string{"v1", "v2"} {
		b, err := grpcapp.StartBackend(ctx, grpcapp.BackendOptions{
			Name: "reviews-" + v, Addr: fmt.Sprintf("127.0.0.%d:%d", i+2, port), XDSAddr: w.XDSAddr,
			Labels: map[string]string{"app": "reviews", "version": v}, Logf: t.Logf,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Stop)
		bs = append(bs, b)
	}
	return bs
}

// TestSmokeTrafficSplit: weftd + two proxyless backends + one client, 90/10 then 0/100.
func TestSmokeTrafficSplit(t *testing.T) {
	t.Parallel()
	w := harness.StartWeftd(t, harness.WeftdOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	port, err := harness.FreeCommonPort("127.0.0.2", "127.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	must(t, w.WriteConfig("reviews.yaml", reviewsYAML(port)))
	must(t, w.WriteConfig("reviews-routing.yaml", routingYAML(90, 10)))
	backends := startReviews(ctx, t, w, port)
	must(t, grpcapp.WaitServing(ctx, backends...))
	c, err := grpcapp.NewClient(ctx, grpcapp.ClientOptions{Target: reviewsHost + ":9080", XDSAddr: w.XDSAddr})
	must(t, err)
	defer c.Close()
	_, err = grpcapp.WaitFor(ctx, c, grpcapp.And(grpcapp.AllSucceed(), grpcapp.SeesAll("reviews-v1", "reviews-v2")))
	must(t, err)
	res := c.Run(ctx, grpcapp.RunOptions{N: 1000, Concurrency: 4})
	t.Logf("90/10: %v", res)
	if share := res.Share("reviews-v2"); res.OK() != 1000 || share < 0.05 || share > 0.15 {
		t.Errorf("want 1000 OK with ~10%% on v2; got %v", res)
	}
	must(t, w.WriteConfig("reviews-routing.yaml", routingYAML(0, 100)))
	_, err = grpcapp.WaitFor(ctx, c, grpcapp.AllOn("reviews-v2"))
	must(t, err)
	s, err := w.WaitSyncz(ctx, harness.HasProxies(3), harness.SynczOptions{})
	must(t, err)
	if n := s.NACKs(); len(n) > 0 {
		t.Errorf("NACKs: %q", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
