package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
)

// ratingsBadYAML is a VirtualService on another service whose header
// value Envoy refuses (issue 16: it used to freeze every proxy of the port).
const ratingsBadYAML = `apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec: {clusterIP: 10.96.0.77, ports: [{name: grpc, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - headers: {request: {set: {x-a: "a\r\nb"}}}
    route: [{destination: {host: ratings}}]
`

// One bad resource never blocks others: with the bad VirtualService in
// place, weftd names it, and an unrelated routing change still reaches
// the proxyless client.
func TestBadResourceDoesNotFreezeOthers(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := startEnv(ctx, t, envOptions{routing: only("v1")})
	_, err := grpcapp.WaitFor(ctx, env.client, grpcapp.AllOn("reviews-v1"))
	must(t, err)

	since := len(env.w.Logs())
	must(t, env.w.WriteConfig("ratings.yaml", ratingsBadYAML))
	waitForLog(ctx, t, env.w, since, []string{"ratings.yaml", "kind=VirtualService namespace=default name=ratings", "headers.request.set[x-a]", "control characters"})

	must(t, env.w.WriteConfig("reviews-routing.yaml", only("v2")))
	if _, err := grpcapp.WaitFor(ctx, env.client, grpcapp.AllOn("reviews-v2")); err != nil {
		t.Fatalf("the routing change did not reach the client while a bad resource is present: %v", err)
	}
}
