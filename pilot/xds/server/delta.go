package server

import (
	"maps"
	"slices"
	"strconv"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/internal/leangrpc"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// deltaType is an incremental stream's state for one type URL.
type deltaType struct {
	wildcard   bool
	subscribed map[string]bool
	has        map[string]string // resource versions the client has
	answered   bool              // the first request has been answered
	force      bool              // answer after the queued push even if nothing changed
	rejected   string            // system version the client NACKed
	// undo holds, per unanswered response nonce, the versions the client
	// had before it: a NACK means the client kept them.
	undo map[string][]had
}

// had is a resource version the client had before a response ("": none).
type had struct{ name, version string }

type deltaStream struct {
	*stream
	send  func(*discovery.DeltaDiscoveryResponse) error
	types map[string]*deltaType
	nonce int64
}

// DeltaAggregatedResources serves incremental ADS: each response carries
// only resources whose content changed and names of removed ones.
func (s *Server) DeltaAggregatedResources(gs discovery.AggregatedDiscoveryService_DeltaAggregatedResourcesServer) error {
	ev, err := s.openDelta(gs)
	if err != nil {
		return err
	}
	return serveEvents(ev)
}

func (s *Server) openDelta(gs discovery.AggregatedDiscoveryService_DeltaAggregatedResourcesServer) (leangrpc.Events, error) {
	base, err := s.newStream(gs.Context())
	if err != nil {
		return nil, err
	}
	st := &deltaStream{stream: base, send: guarded(s, base, gs.Context(), gs.Send), types: map[string]*deltaType{}}
	return newEvents(s, st.stream, gs.Recv,
		func(req *discovery.DeltaDiscoveryRequest) error { return s.onDeltaRequest(st, req) },
		func() error {
			for typeURL := range st.types {
				if err := s.respondDelta(st, typeURL); err != nil {
					return err
				}
			}
			return nil
		}), nil
}

func (s *Server) onDeltaRequest(st *deltaStream, req *discovery.DeltaDiscoveryRequest) error {
	isNew, err := s.attach(st.stream, req.GetNode())
	if err != nil {
		return err
	}
	ps, typeURL := st.ps, req.GetTypeUrl()
	if s.ignoreType(ps, isNew, typeURL) {
		return nil
	}
	if err := s.checkDeltaNames(st, ps, req); err != nil {
		return err
	}
	ts := st.types[typeURL]
	first := ts == nil
	if first {
		ts = &deltaType{subscribed: map[string]bool{}, has: map[string]string{}}
		st.types[typeURL] = ts
		maps.Copy(ts.has, req.GetInitialResourceVersions()) // a reconnecting client says what it has
	}
	nack := req.GetErrorDetail() != nil
	st.inflight.answered(req.GetResponseNonce())
	if nonce := req.GetResponseNonce(); nonce != "" {
		s.recordAck(ps, ackInfo{typeURL: typeURL, version: ps.sentVersion(typeURL), nonce: nonce,
			nackMsg: req.GetErrorDetail().GetMessage(), isReply: true})
		if nack {
			ts.rejected = ps.sentVersion(typeURL)
		}
		ts.settle(nonce, !nack)
	}
	changed := ts.update(typeURL, first, ps.current()[typeURL].Canonical(req.GetResourceNamesSubscribe()), req.GetResourceNamesUnsubscribe())
	if typeURL == resource.EndpointType && ps.warms() {
		ps.forget(req.GetResourceNamesUnsubscribe())
	}
	if s.afterRequest(ps, isNew, typeURL, req.GetResourceNamesSubscribe(), req.GetResponseNonce(), !nack) && changed {
		ts.force = true
		return nil
	}
	return s.respondDelta(st, typeURL)
}

// update applies (un)subscriptions; a first listener or cluster request
// without names is a wildcard, as is "*".
func (ts *deltaType) update(typeURL string, first bool, sub, unsub []string) bool {
	before := ts.wildcard
	if first && len(sub) == 0 && (typeURL == resource.ListenerType || typeURL == resource.ClusterType) {
		ts.wildcard = true
	}
	added := false
	for _, n := range sub {
		if n == "*" {
			ts.wildcard = true
		} else if !ts.subscribed[n] {
			ts.subscribed[n], added = true, true
		}
	}
	for _, n := range unsub {
		if n == "*" {
			ts.wildcard = false
		}
		delete(ts.subscribed, n)
		delete(ts.has, n) // re-subscribing later must send it again
	}
	return added || ts.wildcard != before
}

// respondDelta sends what the client lacks: changed or new resources in
// its subscription and names it has that are gone. The first request of a
// type is always answered, so the client knows it is in sync.
func (s *Server) respondDelta(st *deltaStream, typeURL string) error {
	ts, part := st.types[typeURL], st.ps.current()[typeURL]
	if part == nil {
		return nil
	}
	resp := &discovery.DeltaDiscoveryResponse{SystemVersionInfo: part.Version, TypeUrl: typeURL}
	if part.Version != ts.rejected {
		resp.Resources, resp.RemovedResources = ts.diff(part)
	}
	if len(resp.Resources) == 0 && len(resp.RemovedResources) == 0 && ts.answered && !ts.force {
		return nil
	}
	st.nonce++
	resp.Nonce = strconv.FormatInt(st.nonce, 10)
	if err := st.send(resp); err != nil {
		return err
	}
	ts.answered, ts.force = true, false
	names := ts.apply(resp)
	s.recordSent(st.ps, typeURL, part.Version)
	if typeURL == resource.EndpointType && st.ps.warms() {
		st.ps.recordEDSSent(resp.Nonce, names)
	}
	return nil
}

// apply records what the client has once it takes resp, remembering what
// it had in case it NACKs; it returns the names sent.
func (ts *deltaType) apply(resp *discovery.DeltaDiscoveryResponse) []string {
	if len(ts.undo) > 16 {
		clear(ts.undo) // a client answers recent nonces only
	}
	before := make([]had, 0, len(resp.Resources)+len(resp.RemovedResources))
	names := make([]string, 0, len(resp.Resources))
	for _, r := range resp.Resources {
		before = append(before, had{r.GetName(), ts.has[r.GetName()]})
		ts.has[r.GetName()] = r.GetVersion()
		names = append(names, r.GetName())
	}
	for _, n := range resp.RemovedResources {
		before = append(before, had{n, ts.has[n]})
		delete(ts.has, n)
	}
	if ts.undo == nil {
		ts.undo = map[string][]had{}
	}
	ts.undo[resp.Nonce] = before
	return names
}

// settle forgets a response's undo on ACK and applies it on NACK.
func (ts *deltaType) settle(nonce string, ack bool) {
	before, ok := ts.undo[nonce]
	delete(ts.undo, nonce)
	if !ok || ack {
		return
	}
	for _, h := range before {
		if h.version == "" {
			delete(ts.has, h.name)
		} else {
			ts.has[h.name] = h.version
		}
	}
}

// diff lists resources to send and names to remove, in name order.
func (ts *deltaType) diff(part *share.Part) ([]*discovery.Resource, []string) {
	var send []*discovery.Resource
	wanted := func(n string) bool { return ts.wildcard || ts.subscribed[n] }
	for _, n := range part.Names() {
		if !wanted(n) {
			continue
		}
		if r, _ := part.DeltaResource(n); ts.has[n] != r.GetVersion() {
			send = append(send, r)
		}
	}
	var removed []string
	for n := range ts.has {
		if _, ok := part.DeltaResource(n); !ok && wanted(n) {
			removed = append(removed, n)
		}
	}
	slices.Sort(removed)
	return send, removed
}
