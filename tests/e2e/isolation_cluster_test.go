package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
)

// ratingsRingYAML is a DestinationRule on another service whose ring hash
// is larger than Envoy builds: Istio's validation lets it through and
// Envoy then rejects the cluster update (issue 16).
const ratingsRingYAML = `apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec: {clusterIP: 10.96.0.78, ports: [{name: grpc, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings, namespace: default}
spec: {host: ratings, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 10000000}}}}}
`

// A DestinationRule whose cluster Envoy would refuse is named by weftd and
// blocks nothing: an unrelated routing change still reaches the client.
func TestBadDestinationRuleDoesNotFreezeOthers(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := startEnv(ctx, t, envOptions{routing: only("v1")})
	_, err := grpcapp.WaitFor(ctx, env.client, grpcapp.AllOn("reviews-v1"))
	must(t, err)

	since := len(env.w.Logs())
	must(t, env.w.WriteConfig("ratings.yaml", ratingsRingYAML))
	waitForLog(ctx, t, env.w, since, []string{"ratings.yaml", "kind=DestinationRule namespace=default name=ratings",
		"ringHash.minimumRingSize", "8388608"})

	must(t, env.w.WriteConfig("reviews-routing.yaml", only("v2")))
	if _, err := grpcapp.WaitFor(ctx, env.client, grpcapp.AllOn("reviews-v2")); err != nil {
		t.Fatalf("the routing change did not reach the client while a bad DestinationRule is present: %v", err)
	}
}
