package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/structpb"
)

// Views are held while a proxy uses them: 300 clients that each make up
// their own view (a distinct DNS domain) and leave give their memory back,
// with no config push in between to clear anything.
func TestMadeUpViewsAreFreedWhenTheirProxiesLeave(t *testing.T) {
	f := startWith(t, Options{})
	f.srv.Update(meshFromYAML(t, "big", reviewsYAML+manyServicesYAML(200)))
	warm, got := openSotW(t, f)
	warm.Send(&discovery.DiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.ListenerType})
	next(t, got)
	before := liveHeap()
	for i := range 300 {
		fetchAndLeave(t, f, fmt.Sprintf("sidecar~127.0.1.%d~made-up-%d.default~default.svc.domain-%d.example", i%250, i, i))
	}
	deadline := time.Now().Add(20 * time.Second)
	for connected(f) > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d proxies still connected 20s after they left", connected(f))
		}
		time.Sleep(10 * time.Millisecond)
	}
	after := liveHeap()
	t.Logf("live heap %d MiB before, %d MiB after 300 made-up views came and went", before>>20, after>>20)
	if after > before+50<<20 {
		t.Fatalf("live heap grew from %d MiB to %d MiB: views of departed proxies are still held", before>>20, after>>20)
	}
}

// fetchAndLeave connects as id, takes its listeners and routes and leaves.
func fetchAndLeave(t *testing.T, f *fixture, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := discovery.NewAggregatedDiscoveryServiceClient(f.conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := structpb.NewStruct(map[string]any{"NAMESPACE": "default"})
	if err := s.Send(&discovery.DiscoveryRequest{Node: &core.Node{Id: id, Metadata: md}, TypeUrl: resource.ListenerType}); err != nil {
		t.Fatal(err)
	}
	if resp := recv(t, s); len(resp.Resources) == 0 {
		t.Fatalf("%s: no listeners", id)
	}
	s.CloseSend()
}
