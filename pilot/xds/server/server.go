// Package server serves per-proxy xDS over ADS (state of the world and
// delta) with go-control-plane. Each connected proxy gets its own snapshot,
// generated from the current mesh for that proxy's identity and requests.
package server

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"

	clusterservice "github.com/envoyproxy/go-control-plane/envoy/service/cluster/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	endpointservice "github.com/envoyproxy/go-control-plane/envoy/service/endpoint/v3"
	listenerservice "github.com/envoyproxy/go-control-plane/envoy/service/listener/v3"
	routeservice "github.com/envoyproxy/go-control-plane/envoy/service/route/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// Options configures a Server.
type Options struct {
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// PushWorkers bounds concurrent pushes (default GOMAXPROCS): more
	// would only contend for the same cores and the cache's lock.
	PushWorkers int
}

// Server is weft's xDS server.
type Server struct {
	log     *slog.Logger
	cache   cachev3.SnapshotCache
	xds     serverv3.Server
	metrics *metrics
	current atomic.Pointer[mesh.Mesh]
	parts   share.Store
	queue   *pushQueue

	mu      sync.Mutex
	proxies map[string]*proxyState // by node id
	streams map[streamKey]*streamState
}

// New creates a server; it serves nothing until Update provides a mesh.
func New(ctx context.Context, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		log:     opts.Logger,
		metrics: newMetrics(opts.Registry),
		proxies: map[string]*proxyState{},
		streams: map[streamKey]*streamState{},
		queue:   newPushQueue(),
	}
	// ads=false: proxyless clients request resources by name, and the
	// ADS-mode cache would withhold responses until a request names every
	// resource in the snapshot.
	s.cache = cachev3.NewSnapshotCache(false, cachev3.IDHash{}, cacheLogger{opts.Logger})
	s.xds = serverv3.NewServer(ctx, s.cache, s)
	if opts.PushWorkers <= 0 {
		opts.PushWorkers = runtime.GOMAXPROCS(0)
	}
	s.runPushWorkers(ctx, opts.PushWorkers)
	return s
}

// Register adds the ADS and per-type discovery services to g.
func (s *Server) Register(g *grpc.Server) {
	discoverygrpc.RegisterAggregatedDiscoveryServiceServer(g, s.xds)
	clusterservice.RegisterClusterDiscoveryServiceServer(g, s.xds)
	endpointservice.RegisterEndpointDiscoveryServiceServer(g, s.xds)
	listenerservice.RegisterListenerDiscoveryServiceServer(g, s.xds)
	routeservice.RegisterRouteDiscoveryServiceServer(g, s.xds)
}

// Update makes m the mesh every proxy is served from and queues a push
// for every connected proxy; only types whose content changed are sent.
func (s *Server) Update(m *mesh.Mesh) {
	s.current.Store(m)
	s.metrics.meshReady.Set(1)
	for _, p := range s.connected() {
		s.queue.add(p, laneChange)
	}
}

func (s *Server) connected() []*proxyState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*proxyState, 0, len(s.proxies))
	for _, p := range s.proxies {
		out = append(out, p)
	}
	return out
}
