package server

import (
	"context"
	"net"
	"testing"
	"time"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// On a transport that is not evented (gRPC-Go's), a stream's events run
// on its handler's goroutine: requests are answered and acknowledged, and
// the proxy is gone once its stream ends.
func TestStreamsServeOnGRPCGo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := New(ctx, Options{Registry: prometheus.NewRegistry()})
	srv.Update(testMesh(t))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer(grpc.ForceServerCodecV2(Codec()))
	srv.Register(g)
	go g.Serve(srv.Listener(lis))
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sctx, end := context.WithTimeout(ctx, 10*time.Second)
	s, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(sctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&discovery.DiscoveryRequest{Node: grpcNode(), TypeUrl: resource.ListenerType, ResourceNames: []string{target}}); err != nil {
		t.Fatal(err)
	}
	resp := recv(t, s)
	if len(resp.Resources) != 1 {
		t.Fatalf("got %d listeners, want 1", len(resp.Resources))
	}
	ack := &discovery.DiscoveryRequest{TypeUrl: resource.ListenerType, ResourceNames: []string{target}, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce}
	if err := s.Send(ack); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, srv, func(st ProxyStatus) bool { return st.Types[resource.ListenerType].Acked == resp.VersionInfo })
	end()
	deadline := time.Now().Add(5 * time.Second)
	for len(srv.Status()) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("proxy still listed after its stream ended: %+v", srv.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
