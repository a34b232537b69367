package server

import (
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
	"github.com/weftmesh/weft/pilot/xds/envoy"
	"github.com/weftmesh/weft/pilot/xds/grpcgen"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// proxyState is what the server knows of one connected proxy.
type proxyState struct {
	// proxy is the metadata of the newest stream; identity owns the node id.
	proxy    atomic.Pointer[xds.Proxy]
	identity Identity

	// gen serialises generation so a snapshot built from an older mesh can
	// never replace one built from a newer mesh.
	gen sync.Mutex

	snap atomic.Pointer[snapshot] // current configuration; nil before the first push

	mu          sync.Mutex
	subscribers map[*stream]bool // open streams, woken by publish
	listeners   map[string]bool  // listener names requested (proxyless)
	secrets     map[string]bool  // SDS names requested (sds.go)
	types       map[string]*typeStatus
	nacks       int
	lastNack    *Nack
	nackNonces  map[string]string // by type: the nonce last NACKed, logged once
	held        *share.Held       // the shared parts of its config; guarded by Server.mu
	degraded    map[string]bool
	shown       []*share.Part // as last sent, for debug views (no secrets)

	// Make-before-break state (see warm.go): final is the last config sent
	// without a warming step; edsSent maps response nonces to the cluster
	// names in that EDS response; edsAcked are clusters the proxy has
	// acknowledged endpoints for.
	final        xds.Resources
	edsSent      map[string][]string
	edsAcked     map[string]bool
	warmingSince time.Time
}

// typeStatus tracks the versions sent and acknowledged for one type.
type typeStatus struct {
	Sent  string `json:"sent"`
	Acked string `json:"acked"`
	Nack  bool   `json:"nacked"`
}

// Nack records a proxy's rejection of a response.
type Nack struct {
	Type    string    `json:"type"`
	Version string    `json:"version"`
	Error   string    `json:"error"`
	Time    time.Time `json:"time"`
}

func newProxyState(p *xds.Proxy, id Identity) *proxyState {
	ps := &proxyState{identity: id, subscribers: map[*stream]bool{}, listeners: map[string]bool{}, secrets: map[string]bool{}, types: map[string]*typeStatus{}, degraded: map[string]bool{},
		edsSent: map[string][]string{}, edsAcked: map[string]bool{}}
	ps.proxy.Store(p)
	return ps
}

// Proxy is the proxy's current metadata.
func (ps *proxyState) Proxy() *xds.Proxy { return ps.proxy.Load() }

// replaceProxy adopts a newer stream's metadata; true if it differed.
func (ps *proxyState) replaceProxy(p *xds.Proxy) bool {
	if reflect.DeepEqual(ps.proxy.Load(), p) {
		return false
	}
	ps.proxy.Store(p)
	return true
}

func (ps *proxyState) listenerNames() []string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return slices.Sorted(maps.Keys(ps.listeners))
}

// push publishes the proxy's configuration for the current mesh to its
// streams, which send the types whose content the client lacks. Each part
// is built once per mesh version and view and shared with every proxy of
// that view (package share).
func (s *Server) push(ps *proxyState) {
	m := s.current.Load()
	if m == nil {
		return
	}
	ps.gen.Lock()
	defer ps.gen.Unlock()
	m = s.current.Load()
	start := time.Now()
	parts, held := s.parts.For(m).Acquire(s.specs(ps, m))
	s.reportRejections(ps, m, parts)
	s.logDegradations(ps, partsDegradations(parts))
	parts, res := s.warmed(ps, parts)
	if !s.holdIfConnected(ps, held) {
		return
	}
	shown := parts
	if sp := s.secretPart(ps); sp != nil {
		parts = append(slices.Clip(parts), sp) // not in shown: debug views never hold keys
	}
	ps.publish(newSnapshot(parts))
	ps.mu.Lock()
	ps.shown = shown
	if res != nil {
		ps.final = res
	}
	ps.mu.Unlock()
	s.metrics.generateSeconds.Observe(time.Since(start).Seconds())
}

// warmed applies a make-before-break step (warm.go) to a proxyless
// client's parts; it returns the parts to send and, when they are final,
// their decoded resources, which the next step keeps routes of. Sidecars
// take no steps, so their parts are never decoded.
func (s *Server) warmed(ps *proxyState, parts []*share.Part) ([]*share.Part, xds.Resources) {
	if ps.Proxy().Kind != xds.KindProxyless {
		return parts, nil
	}
	res := share.Resources(parts)
	step, prev := ps.warmingStep(res, time.Now())
	if step == nil {
		return parts, res
	}
	time.AfterFunc(warmTimeout+50*time.Millisecond, func() { s.queue.add(ps, laneChange) })
	return withWarmingStep(parts, step, prev), nil
}

// holdIfConnected makes held the parts the proxy holds, letting go of the
// previous ones; for a proxy that left while queued it lets go of held
// instead. Under s.mu, so closeStream cannot release in between.
func (s *Server) holdIfConnected(ps *proxyState, held *share.Held) bool {
	s.mu.Lock()
	connected := s.proxies[ps.Proxy().ID] == ps
	old := held
	if connected {
		old, ps.held = ps.held, held
	}
	s.mu.Unlock()
	old.Release()
	return connected
}

func (s *Server) specs(ps *proxyState, m *mesh.Mesh) []share.Spec {
	p := ps.withWorkload(m.Workloads)
	if p.Kind == xds.KindProxyless {
		return grpcgen.Specs(m, p, ps.listenerNames())
	}
	return envoy.Specs(m, p)
}

// logDegradations logs each distinct degradation once per proxy.
func (s *Server) logDegradations(ps *proxyState, deg build.Degradations) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for _, d := range deg {
		if !ps.degraded[d] {
			ps.degraded[d] = true
			s.log.Warn("config degraded for proxy kind", "proxy", ps.Proxy().ID, "kind", ps.Proxy().Kind, "reason", d)
		}
	}
}

// withWorkload completes the proxy from its pod, unless the pod found
// belongs to another identity than the stream's certificate: a proxy may not
// borrow another workload's labels by naming its pod or IP.
func (ps *proxyState) withWorkload(w mesh.Workloads) *xds.Proxy {
	p := ps.Proxy()
	if !ps.identity.Authenticated() {
		return p.WithWorkload(w)
	}
	if wl := w.Find(p.Namespace, p.Pod, p.IP); wl != nil && !workloadMatches(wl, ps.identity) {
		return p
	}
	return p.WithWorkload(w)
}
