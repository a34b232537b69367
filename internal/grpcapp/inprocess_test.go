package grpcapp

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

const (
	target    = "reviews.default.svc.cluster.local:9080"
	routeName = "reviews-route"
	clusterV1 = "outbound|9080|v1|reviews.default.svc.cluster.local"
	clusterV2 = "outbound|9080|v2|reviews.default.svc.cluster.local"
	clusterFl = "outbound|9080|flaky|reviews.default.svc.cluster.local"
)

// allNodes gives every proxy the same snapshot.
type allNodes struct{}

func (allNodes) ID(*corev3.Node) string { return "all" }

// adsServer is a go-control-plane ADS server that records NACKs.
type adsServer struct {
	addr    string
	cache   cachev3.SnapshotCache
	version int
	mu      sync.Mutex
	nacks   []string
}

// startADS serves ADS on 127.0.0.1:0 with ads=false, so named subsets are answered at once.
func startADS(t *testing.T) *adsServer {
	s := &adsServer{cache: cachev3.NewSnapshotCache(false, allNodes{}, nil)}
	cb := serverv3.CallbackFuncs{StreamRequestFunc: func(_ int64, req *discoveryv3.DiscoveryRequest) error {
		if d := req.GetErrorDetail(); d != nil {
			s.mu.Lock()
			s.nacks = append(s.nacks, fmt.Sprintf("%s: %s", req.GetTypeUrl(), d.GetMessage()))
			s.mu.Unlock()
		}
		return nil
	}}
	srv := serverv3.NewServer(context.Background(), s.cache, cb)
	gs := grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(gs, srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	s.addr = lis.Addr().String()
	return s
}

// set publishes a new snapshot version with res.
func (s *adsServer) set(t *testing.T, res map[resource.Type][]types.Resource) {
	t.Helper()
	s.version++
	snap, err := cachev3.NewSnapshot(fmt.Sprint(s.version), res)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cache.SetSnapshot(context.Background(), "all", snap); err != nil {
		t.Fatal(err)
	}
}

func (s *adsServer) nackList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.nacks...)
}

// startTestBackend starts a backend on ip with a free port.
func startTestBackend(t *testing.T, ads *adsServer, name, ip string, failFirst bool) *Backend {
	b, err := StartBackend(context.Background(), BackendOptions{
		Name: name, Addr: ip + ":0", XDSAddr: ads.addr, FailFirstAttempt: failFirst,
		Labels: map[string]string{"app": "reviews"}, Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	return b
}

// TestProxylessThroughGoControlPlane proves grpcapp's client and servers work
// against hand-built resources, and pins what grpc-go accepts.
func TestProxylessThroughGoControlPlane(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ads := startADS(t)
	v1 := startTestBackend(t, ads, "reviews-v1", "127.0.0.2", false)
	v2 := startTestBackend(t, ads, "reviews-v2", "127.0.0.3", false)
	fl := startTestBackend(t, ads, "reviews-flaky", "127.0.0.4", true)

	snapshot := func(lis types.Resource, action types.Resource) map[resource.Type][]types.Resource {
		return map[resource.Type][]types.Resource{
			resource.ListenerType: {lis, serverListener(t, v1.Addr()), serverListener(t, v2.Addr()), serverListener(t, fl.Addr())},
			resource.RouteType:    {action},
			resource.ClusterType:  {edsCluster(clusterV1), edsCluster(clusterV2), edsCluster(clusterFl)},
			resource.EndpointType: {
				loadAssignment(t, clusterV1, v1.Addr()), loadAssignment(t, clusterV2, v2.Addr()),
				loadAssignment(t, clusterFl, fl.Addr()),
			},
		}
	}
	ads.set(t, snapshot(clientListener(t, target, routeName), routeConfig(routeName, target, toCluster(clusterV1))))
	if err := WaitServing(ctx, v1, v2, fl); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(ctx, ClientOptions{Target: target, XDSAddr: ads.addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	t.Run("single cluster", func(t *testing.T) {
		backend, err := c.Call(ctx, nil)
		if err != nil || backend != "reviews-v1" {
			t.Fatalf("Call = %q, %v; want reviews-v1", backend, err)
		}
	})
	t.Run("weighted split", func(t *testing.T) {
		ads.set(t, snapshot(clientListener(t, target, routeName),
			routeConfig(routeName, target, weighted(map[string]uint32{clusterV1: 50, clusterV2: 50}))))
		res, err := WaitFor(ctx, c, And(AllSucceed(), SeesAll("reviews-v1", "reviews-v2")))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("split: %v", res)
	})
	t.Run("retry on unavailable", func(t *testing.T) {
		ads.set(t, snapshot(clientListener(t, target, routeName),
			routeConfig(routeName, target, withRetry(toCluster(clusterFl), "unavailable", 2))))
		if _, err := WaitFor(ctx, c, AllOn("reviews-flaky")); err != nil {
			t.Fatal(err)
		}
		before := fl.Failed()
		res := c.Run(ctx, RunOptions{N: 20, Concurrency: 4})
		if res.OK() != 20 || fl.Failed()-before != 20 {
			t.Fatalf("want 20 OK after 20 injected first-attempt failures; got %v, failed %d", res, fl.Failed()-before)
		}
	})
	t.Run("no retry policy surfaces failures", func(t *testing.T) {
		ads.set(t, snapshot(clientListener(t, target, routeName),
			routeConfig(routeName, target, toCluster(clusterFl))))
		if _, err := WaitFor(ctx, c, AllCode(codes.Unavailable)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("fault delay", func(t *testing.T) {
		const delay = 150 * time.Millisecond
		ads.set(t, snapshot(clientListener(t, target, routeName, faultDelayFilter(t, delay)),
			routeConfig(routeName, target, toCluster(clusterV2))))
		res, err := WaitForWith(ctx, c, AllOn("reviews-v2"), WaitOptions{Batch: RunOptions{N: 4, Concurrency: 4}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Latency(0) < delay {
			t.Fatalf("min latency %v < injected delay %v", res.Latency(0), delay)
		}
	})
	if n := ads.nackList(); len(n) > 0 {
		t.Errorf("control plane saw NACKs: %q", n)
	}
	if v1.Served() == 0 || v2.Served() == 0 {
		t.Errorf("served v1=%d v2=%d; want both > 0", v1.Served(), v2.Served())
	}
}
