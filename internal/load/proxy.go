package load

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/ca"
)

// Kind is the kind of proxy simulated.
type Kind string

const (
	KindSidecar Kind = "sidecar" // Envoy: CDS and LDS wildcard, RDS/EDS by name
	KindGRPC    Kind = "grpc"    // proxyless gRPC: everything by name, starting from LDS
)

// maxResponses bounds how many responses one simulated proxy handles, so a
// server that pushes in a loop cannot keep the tool running forever.
const maxResponses = 100_000

// typeOrder is the order types are reported and requested in.
var typeOrder = []string{resource.ClusterType, resource.EndpointType, resource.ListenerType, resource.RouteType}

// TypeState is what one proxy last acknowledged for one type.
type TypeState struct {
	Version string    // last version ACKed
	At      time.Time // when the response carrying it arrived
	Changed time.Time // when a response with a version different from the previous one arrived
	// StreamFirst is when the first response of this type arrived on the
	// proxy's current stream (a reconnect opens a new stream).
	StreamFirst time.Time
}

// proxySpec describes one simulated proxy.
type proxySpec struct {
	Index     int
	Kind      Kind
	Namespace string
	Listeners []string // grpc kind: LDS names to request
	Delta     bool     // incremental ADS instead of state of the world
	// Reconnect opens a new stream (after a bounded, jittered backoff) when
	// the stream fails, instead of failing the proxy.
	Reconnect bool
	// ServiceAccount, when set, is sent as SERVICE_ACCOUNT metadata; it is
	// set for TLS runs, where it must match the client certificate.
	ServiceAccount string
}

// NodeID is the Istio node id of the proxy.
func (s proxySpec) NodeID() string {
	return fmt.Sprintf("sidecar~10.%d.%d.%d~load-%d.%s~%s.svc.cluster.local",
		200+s.Index/65536, s.Index/256%256, s.Index%256, s.Index, s.Namespace, s.Namespace)
}

// Identity is the workload identity the proxy's certificate carries.
func (s proxySpec) Identity() ca.Identity {
	return ca.Identity{Namespace: s.Namespace, ServiceAccount: s.ServiceAccount}
}

func (s proxySpec) node() (*core.Node, error) {
	md := map[string]any{"NAMESPACE": s.Namespace}
	if s.Kind == KindGRPC {
		md["GENERATOR"] = "grpc"
	}
	if s.ServiceAccount != "" {
		md["SERVICE_ACCOUNT"] = s.ServiceAccount
	}
	st, err := structpb.NewStruct(md)
	if err != nil {
		return nil, fmt.Errorf("node metadata: %w", err)
	}
	return &core.Node{Id: s.NodeID(), Metadata: st}, nil
}

// proxy is one simulated proxy on one SotW ADS stream. Its goroutine owns
// the stream; the mutex guards only what readers (the fleet) look at.
type proxy struct {
	spec proxySpec

	mu        sync.Mutex
	state     map[string]*TypeState // by type URL
	bytes     int64
	responses int
	err       error
	streams   int   // streams opened so far; state entries carry the stream they were last seen on
	lastErr   error // last stream failure that was retried (Reconnect)
	typeSeen  map[string]int
	started   time.Time // when the proxy began to connect

	// Owned by the run goroutine.
	stream discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	delta  *deltaState
	names  map[string][]string // subscribed names by type; nil = wildcard
	last   map[string]*discovery.DiscoveryResponse
	// held keeps the latest route and endpoint resources by name: SotW
	// responses of those types may carry only what changed.
	held     map[string]map[string]*anypb.Any
	sentNode bool
}

func newProxy(spec proxySpec) *proxy {
	return &proxy{spec: spec, state: map[string]*TypeState{}, names: map[string][]string{},
		last: map[string]*discovery.DiscoveryResponse{}, typeSeen: map[string]int{}}
}

// errTool marks failures that are the tool's own bug (e.g. a response it
// cannot decode): never retried.
var errTool = errors.New("load tool error")

// Reconnect backoff: the first retry waits about minBackoff, each further
// one doubles up to maxBackoff; every wait gets up to +50% jitter (capped at
// maxBackoff) so a restarted weftd does not see the whole fleet in lockstep.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = time.Second
)

func jittered(d time.Duration, rnd func(int64) int64) time.Duration {
	return min(d+time.Duration(rnd(int64(d/2)+1)), maxBackoff)
}

// initialTypes is what the proxy subscribes to before it has seen anything.
func (p *proxy) initialTypes() []string {
	if p.spec.Kind == KindGRPC {
		p.names[resource.ListenerType] = slices.Clone(p.spec.Listeners)
		return []string{resource.ListenerType}
	}
	return []string{resource.ClusterType, resource.ListenerType}
}

// run opens the stream, subscribes, and ACKs every response until ctx ends.
// opened is called once the first stream is open (or failed to open). With
// spec.Reconnect a failed or closed stream is replaced by a new one after a
// backoff, until ctx ends.
func (p *proxy) run(ctx context.Context, conn *grpc.ClientConn, opened func()) {
	opened = sync.OnceFunc(opened)
	backoff := minBackoff
	for {
		before := p.received()
		err := p.loop(ctx, conn, opened)
		if ctx.Err() != nil {
			err = nil // the fleet closed us: not a failure
		}
		if ctx.Err() != nil || !p.spec.Reconnect || errors.Is(err, errTool) {
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
			return
		}
		if err == nil {
			err = errors.New("stream closed by server")
		}
		p.mu.Lock()
		p.lastErr = err
		p.mu.Unlock()
		if p.received() > before {
			backoff = minBackoff // the stream worked: start over
		}
		if sleep(ctx, jittered(backoff, rand.Int64N)) != nil {
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func (p *proxy) setStarted(t time.Time) {
	p.mu.Lock()
	p.started = t
	p.mu.Unlock()
}

func (p *proxy) received() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.responses
}

// newStream forgets everything the previous stream subscribed to: a new
// stream starts from the node and the initial types again.
func (p *proxy) newStream() {
	p.names, p.last, p.sentNode, p.delta, p.stream = map[string][]string{}, map[string]*discovery.DiscoveryResponse{}, false, nil, nil
	p.held = map[string]map[string]*anypb.Any{}
	p.mu.Lock()
	p.streams++
	p.mu.Unlock()
}

// callOptions makes a reconnecting proxy wait for the connection to be
// ready (the connection's own backoff is bounded the same way) rather than
// fail fast while weftd is down.
func (p *proxy) callOptions() []grpc.CallOption {
	if p.spec.Reconnect {
		return []grpc.CallOption{grpc.WaitForReady(true)}
	}
	return nil
}

func (p *proxy) loop(ctx context.Context, conn *grpc.ClientConn, opened func()) error {
	p.newStream()
	if p.spec.Delta {
		return p.deltaLoop(ctx, conn, opened)
	}
	s, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx, p.callOptions()...)
	opened()
	if err != nil {
		return fmt.Errorf("%s: open ADS stream: %w", p.spec.NodeID(), err)
	}
	p.stream = s
	defer func() { _ = s.CloseSend() }()
	for _, t := range p.initialTypes() {
		if err := p.send(t); err != nil {
			return err
		}
	}
	for range maxResponses {
		r, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: recv: %w", p.spec.NodeID(), err)
		}
		if err := p.handle(r); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s: more than %d responses", p.spec.NodeID(), maxResponses)
}

// send requests typeURL with the current names, ACKing the last response of
// that type if there was one.
func (p *proxy) send(typeURL string) error {
	req := &discovery.DiscoveryRequest{TypeUrl: typeURL, ResourceNames: p.names[typeURL]}
	if !p.sentNode {
		n, err := p.spec.node()
		if err != nil {
			return err
		}
		req.Node, p.sentNode = n, true
	}
	if prev := p.last[typeURL]; prev != nil {
		req.VersionInfo, req.ResponseNonce = prev.VersionInfo, prev.Nonce
	}
	if err := p.stream.Send(req); err != nil {
		return fmt.Errorf("%s: send %s: %w", p.spec.NodeID(), typeURL, err)
	}
	return nil
}

// handle records and ACKs a response, then subscribes to the names it
// references (RDS from LDS, CDS from RDS for gRPC, EDS from CDS).
func (p *proxy) handle(r *discovery.DiscoveryResponse) error {
	now := time.Now()
	all, err := p.accumulate(r)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", p.spec.NodeID(), errTool, err)
	}
	deps, err := dependencies(all)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", p.spec.NodeID(), errTool, err) // never NACK: a parse error is the tool's bug
	}
	p.last[r.TypeUrl] = r
	if err := p.send(r.TypeUrl); err != nil {
		return err
	}
	p.record(r.TypeUrl, r.VersionInfo, proto.Size(r), now)
	return p.subscribe(deps, p.send)
}

// accumulate returns every resource the proxy holds of r's type: for
// listeners and clusters that is r, for routes and endpoints r merged into
// what earlier responses carried, minus names no longer subscribed.
func (p *proxy) accumulate(r *discovery.DiscoveryResponse) (*discovery.DiscoveryResponse, error) {
	if r.TypeUrl != resource.RouteType && r.TypeUrl != resource.EndpointType {
		return r, nil
	}
	held := p.held[r.TypeUrl]
	if held == nil {
		held = map[string]*anypb.Any{}
		p.held[r.TypeUrl] = held
	}
	for _, a := range r.Resources {
		name, err := resourceName(a.GetValue())
		if err != nil {
			return nil, err
		}
		held[name] = a
	}
	all := &discovery.DiscoveryResponse{TypeUrl: r.TypeUrl, VersionInfo: r.VersionInfo}
	for _, name := range slices.Sorted(maps.Keys(held)) {
		if !slices.Contains(p.names[r.TypeUrl], name) {
			delete(held, name)
			continue
		}
		all.Resources = append(all.Resources, held[name])
	}
	return all, nil
}

// resourceName reads field 1, the name of a route configuration and the
// cluster name of a load assignment, without decoding the rest.
func resourceName(b []byte) (string, error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", protowire.ParseError(n)
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return "", protowire.ParseError(m)
			}
			return string(v), nil
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return "", protowire.ParseError(m)
		}
		b = b[m:]
	}
	return "", fmt.Errorf("resource without a name")
}

// subscribe updates the names of dependent types and re-requests the types
// whose names changed.
func (p *proxy) subscribe(deps map[string][]string, send func(typeURL string) error) error {
	for _, t := range slices.Sorted(maps.Keys(deps)) {
		names := deps[t]
		if t == resource.ClusterType && p.spec.Kind == KindSidecar {
			continue // sidecars already get every cluster by wildcard
		}
		if slices.Equal(p.names[t], names) {
			continue
		}
		p.names[t] = names
		if err := send(t); err != nil {
			return err
		}
	}
	return nil
}

func (p *proxy) record(typeURL, version string, size int, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bytes += int64(size)
	p.responses++
	st := p.state[typeURL]
	if st == nil {
		st = &TypeState{}
		p.state[typeURL] = st
	}
	if st.Version != version {
		st.Changed = now
	}
	if p.typeSeen[typeURL] != p.streams {
		p.typeSeen[typeURL] = p.streams
		st.StreamFirst = now
	}
	st.Version, st.At = version, now
}

// snapshot copies the proxy's recorded state.
func (p *proxy) snapshot() ProxyState {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]TypeState, len(p.state))
	for t, s := range p.state {
		out[t] = *s
	}
	return ProxyState{NodeID: p.spec.NodeID(), Kind: p.spec.Kind, Types: out, Bytes: p.bytes, Responses: p.responses,
		Err: p.err, Streams: p.streams, LastStreamErr: p.lastErr, Started: p.started}
}

// dependencies returns, for each type a response refers to, the sorted
// names it refers to.
func dependencies(r *discovery.DiscoveryResponse) (map[string][]string, error) {
	set := map[string]map[string]bool{}
	add := func(t, name string) {
		if name == "" {
			return
		}
		if set[t] == nil {
			set[t] = map[string]bool{}
		}
		set[t][name] = true
	}
	for _, a := range r.Resources {
		refs, err := cachedRefs(r.TypeUrl, a)
		if err != nil {
			return nil, err
		}
		for _, ref := range refs {
			add(ref.typeURL, ref.name)
		}
	}
	out := map[string][]string{}
	for t, names := range set {
		out[t] = slices.Sorted(maps.Keys(names))
	}
	// A response that now references nothing of a type still changes the
	// subscription: send an empty list rather than keeping stale names.
	switch r.TypeUrl {
	case resource.ListenerType:
		ensure(out, resource.RouteType)
	case resource.ClusterType:
		ensure(out, resource.EndpointType)
	}
	return out, nil
}

// ref is one name a resource refers to.
type ref struct{ typeURL, name string }

// refCache maps a resource's encoding to the names it refers to, shared by
// every simulated proxy: a state-of-the-world response resends every
// resource of its type, and most proxies get the same bytes, so each
// distinct resource is decoded once rather than once per proxy and
// response. Keys are a 64-bit hash and the length of the type URL and
// bytes; it is cleared when it grows past refCacheMax entries.
var refCache = struct {
	sync.RWMutex
	seed maphash.Seed
	m    map[refKey][]ref
}{seed: maphash.MakeSeed(), m: map[refKey][]ref{}}

type refKey struct {
	hash uint64
	size int
}

const refCacheMax = 1 << 20

func cachedRefs(typeURL string, a *anypb.Any) ([]ref, error) {
	var h maphash.Hash
	h.SetSeed(refCache.seed)
	h.WriteString(typeURL)
	h.WriteString(a.GetTypeUrl())
	h.Write(a.GetValue())
	k := refKey{hash: h.Sum64(), size: len(a.GetValue())}
	refCache.RLock()
	refs, ok := refCache.m[k]
	refCache.RUnlock()
	if ok {
		return refs, nil
	}
	refs = []ref{} // non-nil: cached even when empty
	if err := refsOf(typeURL, a, func(t, name string) { refs = append(refs, ref{t, name}) }); err != nil {
		return nil, err
	}
	refCache.Lock()
	if len(refCache.m) >= refCacheMax {
		clear(refCache.m)
	}
	refCache.m[k] = refs
	refCache.Unlock()
	return refs, nil
}

func ensure(m map[string][]string, t string) {
	if _, ok := m[t]; !ok {
		m[t] = []string{}
	}
}

func refsOf(typeURL string, a *anypb.Any, add func(t, name string)) error {
	switch typeURL {
	case resource.ListenerType:
		var l listenerv3.Listener
		if err := a.UnmarshalTo(&l); err != nil {
			return fmt.Errorf("decode listener: %w", err)
		}
		return listenerRefs(&l, add)
	case resource.RouteType:
		var rc routev3.RouteConfiguration
		if err := a.UnmarshalTo(&rc); err != nil {
			return fmt.Errorf("decode route: %w", err)
		}
		routeRefs(&rc, add)
	case resource.ClusterType:
		var c clusterv3.Cluster
		if err := a.UnmarshalTo(&c); err != nil {
			return fmt.Errorf("decode cluster: %w", err)
		}
		if c.GetType() == clusterv3.Cluster_EDS {
			name := c.GetEdsClusterConfig().GetServiceName()
			if name == "" {
				name = c.Name
			}
			add(resource.EndpointType, name)
		}
	}
	return nil
}

// listenerRefs finds the RDS names of a listener's HTTP connection managers,
// both in filter chains (Envoy) and in the API listener (proxyless gRPC).
func listenerRefs(l *listenerv3.Listener, add func(t, name string)) error {
	var hcms []*anypb.Any
	if api := l.GetApiListener().GetApiListener(); api != nil {
		hcms = append(hcms, api)
	}
	chains := append(slices.Clone(l.FilterChains), l.DefaultFilterChain)
	for _, fc := range chains {
		for _, f := range fc.GetFilters() {
			if tc := f.GetTypedConfig(); tc != nil {
				hcms = append(hcms, tc)
			}
		}
	}
	for _, a := range hcms {
		var h hcmv3.HttpConnectionManager
		if !a.MessageIs(&h) {
			continue
		}
		if err := a.UnmarshalTo(&h); err != nil {
			return fmt.Errorf("decode listener %s HCM: %w", l.Name, err)
		}
		add(resource.RouteType, h.GetRds().GetRouteConfigName())
		if rc := h.GetRouteConfig(); rc != nil {
			routeRefs(rc, add)
		}
	}
	return nil
}

func routeRefs(rc *routev3.RouteConfiguration, add func(t, name string)) {
	for _, vh := range rc.VirtualHosts {
		for _, r := range vh.Routes {
			a := r.GetRoute()
			add(resource.ClusterType, a.GetCluster())
			for _, wc := range a.GetWeightedClusters().GetClusters() {
				add(resource.ClusterType, wc.Name)
			}
		}
	}
}
