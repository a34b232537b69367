package server

import (
	"context"
	"net"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/internal/leangrpc"
	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
)

const (
	target = "reviews.default.svc.cluster.local:9080"
	nodeID = "sidecar~127.0.0.5~client.default~default.svc.cluster.local"
)

// reviewsYAML is one service, reviews:9080, with one endpoint.
const reviewsYAML = `
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {ports: [{name: grpc, port: 9080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-1, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: grpc, port: 9080}]
endpoints: [{addresses: [127.0.0.2]}]
`

// meshFromYAML decodes config documents and translates them.
func meshFromYAML(t *testing.T, version, docs string) *mesh.Mesh {
	t.Helper()
	objs, errs := config.Decode("test.yaml", []byte(docs))
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	b := config.NewBuilder()
	for _, o := range objs {
		b.Add(o)
	}
	return translate.Translate(b.Finish(), version)
}

func testMesh(t *testing.T) *mesh.Mesh { return meshFromYAML(t, "1", reviewsYAML) }

type fixture struct {
	addr string
	srv  *Server
	reg  *prometheus.Registry
	conn *grpc.ClientConn
}

func start(t *testing.T) *fixture { return startWith(t, Options{}) }

// startWith is start with options (a Logger); the registry is the fixture's.
func startWith(t *testing.T, opts Options) *fixture {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	reg := prometheus.NewRegistry()
	opts.Registry = reg
	srv := New(ctx, opts)
	srv.Update(testMesh(t))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// weftd's transport, as bootstrap serves it.
	g := leangrpc.NewServer(leangrpc.Options{Codec: Codec(), MaxConcurrentStreams: 100})
	srv.Register(g)
	go g.Serve(srv.Listener(lis))
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &fixture{addr: lis.Addr().String(), srv: srv, reg: reg, conn: conn}
}

func grpcNode() *core.Node {
	md, _ := structpb.NewStruct(map[string]any{"GENERATOR": "grpc", "NAMESPACE": "default"})
	return &core.Node{Id: nodeID, Metadata: md}
}

func recv(t *testing.T, s discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient) *discovery.DiscoveryResponse {
	t.Helper()
	done := make(chan struct{})
	var resp *discovery.DiscoveryResponse
	var err error
	go func() { resp, err = s.Recv(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("no DiscoveryResponse within 5s")
	}
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// A proxyless client gets exactly the listener it asked for; an ACK is
// recorded as acked and a NACK is recorded, counted and leaves the acked
// version in place.
func TestSotWListenerAckNack(t *testing.T) {
	f := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := discovery.NewAggregatedDiscoveryServiceClient(f.conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := &discovery.DiscoveryRequest{Node: grpcNode(), TypeUrl: resource.ListenerType, ResourceNames: []string{target}}
	if err := s.Send(req); err != nil {
		t.Fatal(err)
	}
	resp := recv(t, s)
	if len(resp.Resources) != 1 {
		t.Fatalf("got %d listeners, want 1", len(resp.Resources))
	}
	var l listenerv3.Listener
	if err := resp.Resources[0].UnmarshalTo(&l); err != nil || l.Name != target || l.ApiListener == nil {
		t.Fatalf("listener %q api_listener=%v err=%v", l.Name, l.ApiListener != nil, err)
	}

	ack := &discovery.DiscoveryRequest{TypeUrl: resource.ListenerType, ResourceNames: []string{target}, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce}
	if err := s.Send(ack); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.srv, func(st ProxyStatus) bool { return st.Types[resource.ListenerType].Acked == resp.VersionInfo })

	nack := &discovery.DiscoveryRequest{TypeUrl: resource.ListenerType, ResourceNames: []string{target}, VersionInfo: resp.VersionInfo,
		ResponseNonce: resp.Nonce, ErrorDetail: &status.Status{Code: 3, Message: "listener " + target + ": bad"}}
	if err := s.Send(nack); err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, f.srv, func(st ProxyStatus) bool { return st.Nacks == 1 })
	if st.LastNack == nil || st.LastNack.Error != "listener "+target+": bad" || st.Types[resource.ListenerType].Acked != resp.VersionInfo {
		t.Fatalf("after NACK: %+v", st)
	}
	if n := testutil.ToFloat64(f.srv.metrics.nacks.WithLabelValues("Listener")); n != 1 {
		t.Fatalf("weft_xds_nacks_total{type=Listener} = %v, want 1", n)
	}
}

// Delta xDS serves the same listener to a subscription.
func TestDeltaListener(t *testing.T) {
	f := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := discovery.NewAggregatedDiscoveryServiceClient(f.conn).DeltaAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := &discovery.DeltaDiscoveryRequest{Node: grpcNode(), TypeUrl: resource.ListenerType, ResourceNamesSubscribe: []string{target}}
	if err := s.Send(req); err != nil {
		t.Fatal(err)
	}
	type result struct {
		resp *discovery.DeltaDiscoveryResponse
		err  error
	}
	got := make(chan result, 1)
	go func() { r, err := s.Recv(); got <- result{r, err} }()
	select {
	case r := <-got:
		if r.err != nil || len(r.resp.Resources) != 1 || r.resp.Resources[0].Name != target {
			t.Fatalf("delta response %+v err=%v", r.resp, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no delta response")
	}
}

// A changed mesh reaches a connected proxy without a new request.
func TestUpdatePushesNewVersion(t *testing.T) {
	f := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := discovery.NewAggregatedDiscoveryServiceClient(f.conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Like grpc-go, ask for the listener first: a proxyless client is sent
	// the clusters its routes reference.
	s.Send(&discovery.DiscoveryRequest{Node: grpcNode(), TypeUrl: resource.ListenerType, ResourceNames: []string{target}})
	recv(t, s)
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNames: []string{"outbound|9080||reviews.default.svc.cluster.local"}})
	first := recv(t, s)
	if len(first.Resources) != 1 {
		t.Fatalf("EDS response has %d resources, want reviews' one", len(first.Resources))
	}
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNames: []string{"outbound|9080||reviews.default.svc.cluster.local"}, VersionInfo: first.VersionInfo, ResponseNonce: first.Nonce})

	m := testMesh(t)
	m.Services[0].Endpoints[9080] = append(m.Services[0].Endpoints[9080], mesh.Endpoint{Address: "127.0.0.3", Port: 9080, Healthy: true})
	f.srv.Update(m)
	second := recv(t, s)
	if second.VersionInfo == first.VersionInfo {
		t.Fatalf("version unchanged after endpoint change: %s", second.VersionInfo)
	}
}

func waitStatus(t *testing.T, srv *Server, pred func(ProxyStatus) bool) ProxyStatus {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, st := range srv.Status() {
			if st.ID == nodeID && pred(st) {
				return st
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("status never matched: %+v", srv.Status())
	return ProxyStatus{}
}

// SotW and delta streams are numbered independently by go-control-plane
// (both start at 1); proxies on the two transports must not be confused.
func TestSotWAndDeltaStreamsAtOnce(t *testing.T) {
	f := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ads := discovery.NewAggregatedDiscoveryServiceClient(f.conn)
	sotwStream, err := ads.StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deltaStream, err := ads.DeltaAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deltaNode := grpcNode()
	deltaNode.Id = "sidecar~127.0.0.6~other.default~default.svc.cluster.local"
	if err := sotwStream.Send(&discovery.DiscoveryRequest{Node: grpcNode(), TypeUrl: resource.ListenerType, ResourceNames: []string{target}}); err != nil {
		t.Fatal(err)
	}
	if err := deltaStream.Send(&discovery.DeltaDiscoveryRequest{Node: deltaNode, TypeUrl: resource.ListenerType, ResourceNamesSubscribe: []string{target}}); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, sotwStream); len(r.Resources) != 1 {
		t.Fatalf("SotW proxy got %d listeners, want 1", len(r.Resources))
	}
	got := make(chan int, 1)
	go func() {
		r, err := deltaStream.Recv()
		if err != nil {
			got <- -1
			return
		}
		got <- len(r.Resources)
	}()
	select {
	case n := <-got:
		if n != 1 {
			t.Fatalf("delta proxy got %d listeners, want 1", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the delta proxy was never served")
	}
	ids := map[string]bool{}
	for _, st := range f.srv.Status() {
		ids[st.ID] = true
	}
	if !ids[nodeID] || !ids[deltaNode.Id] {
		t.Fatalf("syncz lists %v, want both proxies", ids)
	}
}
