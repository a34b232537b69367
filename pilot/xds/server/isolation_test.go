package server

import (
	"context"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"
)

// ratingsBadYAML adds ratings:9080 with a VirtualService whose header
// value Envoy refuses; validation would refuse it, this mesh skips both
// validation and guard.Apply, so only the server's own check is left.
const ratingsBadYAML = `
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec: {ports: [{name: grpc, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - headers: {request: {set: {x-a: "a\nb"}}}
    route: [{destination: {host: ratings}}]
`

// A generated resource that fails validation is left out, counted and
// logged; the proxy still receives the rest of its configuration.
func TestInvalidResourceLeftOutRestServed(t *testing.T) {
	f := start(t)
	f.srv.Update(meshFromYAML(t, "2", reviewsYAML+ratingsBadYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := discovery.NewAggregatedDiscoveryServiceClient(f.conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ratings := "ratings.default.svc.cluster.local:9080"
	s.Send(&discovery.DiscoveryRequest{Node: grpcNode(), TypeUrl: resource.ListenerType, ResourceNames: []string{target, ratings}})
	if lds := recv(t, s); len(lds.Resources) != 2 {
		t.Fatalf("LDS has %d listeners, want both", len(lds.Resources))
	}
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.RouteType, ResourceNames: []string{target, ratings}})
	rds := recv(t, s)
	var names []string
	for _, r := range rds.Resources {
		names = append(names, routeConfigName(t, r.GetValue()))
	}
	if len(names) != 1 || names[0] != target {
		t.Fatalf("RDS carries %v, want reviews' route configuration only", names)
	}
	if got := testutil.ToFloat64(f.srv.metrics.rejected.WithLabelValues("RouteConfiguration")); got != 1 {
		t.Fatalf("weft_xds_rejected_resources_total{type=RouteConfiguration} = %v, want 1", got)
	}
}

func routeConfigName(t *testing.T, b []byte) string {
	t.Helper()
	var rc routev3.RouteConfiguration
	if err := proto.Unmarshal(b, &rc); err != nil {
		t.Fatal(err)
	}
	return rc.GetName()
}
