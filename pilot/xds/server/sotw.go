package server

import (
	"slices"
	"strconv"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/weftmesh/weft/internal/leangrpc"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// sotwType is a state-of-the-world stream's state for one type URL.
type sotwType struct {
	wildcard bool
	names    []string // sorted subscription when not wildcard
	// open is true while a request waits for its response: one response
	// per type is in flight, and the next request (the ACK) reopens it.
	open     bool
	nonce    string // of the last response
	has      string // version the client reports having
	rejected string // version the client NACKed: not sent again
	sent     string // version of the last response
	// force answers the next wake-up even with an unchanged version: the
	// subscription changed and a push for it was queued.
	force bool
	// Routes and endpoints are not state-of-the-world types: a response
	// may carry only what changed. After the client ACKs a response built
	// from part P for a named subscription S it holds P's version of every
	// name in S that P has (the ones left out were unchanged), so two
	// pointers per type say what it has. For named listeners and clusters
	// this skips responses that would repeat what the client has.
	partial               bool
	ackedPart, sentPart   *share.Part
	ackedNames, sentNames []string
}

func newSotWType(typeURL string) *sotwType {
	return &sotwType{partial: typeURL == resource.RouteType || typeURL == resource.EndpointType}
}

// holds is the content hash of name the client has, "" if none.
func (ts *sotwType) holds(name string) string {
	if ts.ackedPart == nil {
		return ""
	}
	if _, ok := slices.BinarySearch(ts.ackedNames, name); !ok {
		return ""
	}
	r, _ := ts.ackedPart.DeltaResource(name)
	return r.GetVersion()
}

type sotwStream struct {
	*stream
	send  func(*discovery.DiscoveryResponse) error
	types map[string]*sotwType
	nonce int64
}

// StreamAggregatedResources serves state-of-the-world ADS.
func (s *Server) StreamAggregatedResources(gs discovery.AggregatedDiscoveryService_StreamAggregatedResourcesServer) error {
	ev, err := s.openSotW(gs)
	if err != nil {
		return err
	}
	return serveEvents(ev)
}

func (s *Server) openSotW(gs discovery.AggregatedDiscoveryService_StreamAggregatedResourcesServer) (leangrpc.Events, error) {
	base, err := s.newStream(gs.Context())
	if err != nil {
		return nil, err
	}
	st := &sotwStream{stream: base, send: guarded(s, base, gs.Context(), gs.Send), types: map[string]*sotwType{}}
	return newEvents(s, st.stream, gs.Recv,
		func(req *discovery.DiscoveryRequest) error { return s.onSotWRequest(st, req) },
		func() error { return s.flushSotW(st) }), nil
}

// onSotWRequest records an ACK or NACK, updates the subscription and
// answers when the client lacks the current version or asked for new names.
func (s *Server) onSotWRequest(st *sotwStream, req *discovery.DiscoveryRequest) error {
	isNew, err := s.attach(st.stream, req.GetNode())
	if err != nil {
		return err
	}
	ps, typeURL := st.ps, req.GetTypeUrl()
	if s.ignoreType(ps, isNew, typeURL) {
		return nil
	}
	if err := s.checkSotWNames(ps, typeURL, req.GetResourceNames()); err != nil {
		return err
	}
	ts := st.types[typeURL]
	if ts == nil {
		ts = newSotWType(typeURL)
		st.types[typeURL] = ts
	}
	nonce := req.GetResponseNonce()
	st.inflight.answered(nonce)
	if nonce != "" && nonce != ts.nonce {
		return nil // answers a response superseded since: the newer one's reply follows
	}
	nack := req.GetErrorDetail() != nil
	if nonce != "" {
		ts.settle(!nack)
	}
	s.recordAck(ps, ackInfo{typeURL: typeURL, version: req.GetVersionInfo(), nonce: nonce,
		nackMsg: req.GetErrorDetail().GetMessage(), isReply: nonce != ""})
	ts.has, ts.open = req.GetVersionInfo(), true
	if nack {
		ts.rejected = ts.sent
	}
	names := ps.current()[typeURL].Canonical(req.GetResourceNames())
	changed := ts.subscribe(typeURL, names)
	if typeURL == resource.EndpointType && ps.warms() {
		ps.keepSubscribed(names) // a SotW request lists the whole subscription
	}
	if queued := s.afterRequest(ps, isNew, typeURL, names, nonce, !nack); queued && changed {
		ts.force = true // answer once the push for the new names is published
		return nil
	}
	return s.respondSotW(st, typeURL, changed && !nack)
}

// subscribe sets the subscription; true if names were added or removed.
// Listeners and clusters requested without names are a wildcard.
func (ts *sotwType) subscribe(typeURL string, names []string) bool {
	wildcard := slices.Contains(names, "*") ||
		(len(names) == 0 && (typeURL == resource.ListenerType || typeURL == resource.ClusterType))
	sorted := names // Canonical sorted them
	changed := wildcard != ts.wildcard || (!wildcard && !slices.Equal(sorted, ts.names))
	ts.wildcard, ts.names = wildcard, sorted
	if changed {
		ts.ackedNames = held(ts.ackedNames, sorted)
	}
	return changed
}

// held is what a client still holds after subscribing to names: clients
// drop the resources they unsubscribe from, so subscribing again must send
// them again.
func held(acked, names []string) []string {
	var out []string
	for _, n := range acked {
		if _, ok := slices.BinarySearch(names, n); ok {
			out = append(out, n)
		}
	}
	return out
}

// settle applies the client's answer to the last response: an ACK means
// it has those resources, a NACK that it kept what it had.
func (ts *sotwType) settle(ack bool) {
	if ack && ts.sentPart != nil {
		ts.ackedPart, ts.ackedNames = ts.sentPart, ts.sentNames
	}
	ts.sentPart, ts.sentNames = nil, nil
}

func (s *Server) flushSotW(st *sotwStream) error {
	for typeURL := range st.types {
		if err := s.respondSotW(st, typeURL, false); err != nil {
			return err
		}
	}
	return nil
}

// respondSotW sends the type's current resources if a request is waiting
// and the client lacks them (or force: its subscription changed).
func (s *Server) respondSotW(st *sotwStream, typeURL string, force bool) error {
	ts, snap := st.types[typeURL], st.ps.current()
	part := snap[typeURL]
	if !ts.open || part == nil {
		return nil
	}
	if !force && !ts.force && (part.Version == ts.has || part.Version == ts.rejected) {
		return nil
	}
	resources, names, changed := sotwResources(part, ts)
	if !changed && (ts.partial || (!force && !ts.force && ts.ackedPart != nil)) {
		return nil // nothing the client subscribes to changed
	}
	resp := &discovery.DiscoveryResponse{VersionInfo: part.Version, TypeUrl: typeURL, Resources: resources}
	st.nonce++
	resp.Nonce = strconv.FormatInt(st.nonce, 10)
	if err := st.send(resp); err != nil {
		return err
	}
	ts.open, ts.force, ts.nonce, ts.sent = false, false, resp.Nonce, part.Version
	if !ts.wildcard {
		ts.sentPart, ts.sentNames = part, ts.names
	}
	s.recordSent(st.ps, typeURL, part.Version)
	if typeURL == resource.EndpointType && st.ps.warms() {
		st.ps.recordEDSSent(resp.Nonce, names)
	}
	return nil
}

// sotwResources is what a response carries, the names in it, and whether
// anything the client subscribes to changed. A wildcard gets the whole
// part (a shared slice; its version says whether it changed). A named
// subscription gets the subscribed resources that exist, for routes and
// endpoints only those whose content the client lacks.
func sotwResources(part *share.Part, ts *sotwType) ([]*anypb.Any, []string, bool) {
	if ts.wildcard {
		return part.All(), part.Names(), true
	}
	out, names := make([]*anypb.Any, 0, len(ts.names)), make([]string, 0, len(ts.names))
	changed := false
	for _, n := range ts.names {
		r, ok := part.DeltaResource(n)
		held := ts.holds(n)
		if !ok {
			changed = changed || held != "" // gone since the client got it
			continue
		}
		if held != r.GetVersion() {
			changed = true
		} else if ts.partial {
			continue
		}
		out, names = append(out, r.GetResource()), append(names, n)
	}
	return out, names, changed
}
