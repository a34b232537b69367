// Package server serves per-proxy xDS over ADS (state of the world and
// delta). Each connected proxy's configuration is a snapshot of parts
// shared with every proxy of the same view (package share); streams send
// the parts' pre-encoded resources, so a response costs a small message
// around shared bytes rather than a per-proxy encoding.
package server

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
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
	// would only contend for the same cores.
	PushWorkers int
	// TrustDomains are accepted in client certificates: the mesh's trust
	// domain and its aliases (default cluster.local).
	TrustDomains []string
	// SendTimeout ends a stream whose response is not taken this long
	// (default DefaultSendTimeout); SendBudgetBytes bounds the bytes of
	// responses in flight to all proxies (default DefaultSendBudgetBytes).
	SendTimeout     time.Duration
	SendBudgetBytes int64
}

// Server is weft's xDS server.
type Server struct {
	log     *slog.Logger
	metrics *metrics
	current atomic.Pointer[mesh.Mesh]
	parts   share.Store
	// rejected dedupes the log lines of resources left out (rejections.go).
	rejected rejections
	nacks    *nackLog
	sends    *sendGuard
	conns    connTracker
	queue    *pushQueue
	ctx      context.Context
	// trustDomains accepted in client certificates (Options.TrustDomains).
	trustDomains []string
	// secrets are served over SDS (sds.go).
	secrets secretStore

	mu      sync.Mutex
	proxies map[string]*proxyState // by node id
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
		queue:   newPushQueue(),
		nacks:   newNackLog(),
		ctx:     ctx,
	}
	s.sends = newSendGuard(opts.SendTimeout, opts.SendBudgetBytes, func(reason string) {
		s.metrics.sendTimeouts.WithLabelValues(reason).Inc()
	})
	s.trustDomains = opts.TrustDomains
	if len(s.trustDomains) == 0 {
		s.trustDomains = []string{"cluster.local"}
	}
	if opts.PushWorkers <= 0 {
		opts.PushWorkers = runtime.GOMAXPROCS(0)
	}
	s.runPushWorkers(ctx, opts.PushWorkers)
	return s
}

// Register adds the aggregated discovery service (SotW and delta) to g.
func (s *Server) Register(g grpc.ServiceRegistrar) {
	discoverygrpc.RegisterAggregatedDiscoveryServiceServer(g, s)
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

// Ready reports whether a mesh is being served.
func (s *Server) Ready() bool { return s.current.Load() != nil }

func (s *Server) connected() []*proxyState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*proxyState, 0, len(s.proxies))
	for _, p := range s.proxies {
		out = append(out, p)
	}
	return out
}
