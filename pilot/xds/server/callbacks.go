package server

import (
	"context"
	"fmt"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/xds"
)

// streamState ties a stream to its proxy; delta requests carry the node
// only on the first message.
type streamState struct {
	proxy *proxyState
}

// streamKey identifies a stream: go-control-plane numbers SotW and delta
// streams independently, so the id alone is ambiguous.
type streamKey struct {
	delta bool
	id    int64
}

func sotw(id int64) streamKey  { return streamKey{id: id} }
func delta(id int64) streamKey { return streamKey{delta: true, id: id} }

func (s *Server) OnStreamOpen(context.Context, int64, string) error      { return nil }
func (s *Server) OnDeltaStreamOpen(context.Context, int64, string) error { return nil }
func (s *Server) OnFetchRequest(context.Context, *discovery.DiscoveryRequest) error {
	return fmt.Errorf("REST fetch is not supported: use ADS")
}
func (s *Server) OnFetchResponse(*discovery.DiscoveryRequest, *discovery.DiscoveryResponse) {}

func (s *Server) OnStreamClosed(id int64, _ *core.Node)      { s.closeStream(sotw(id)) }
func (s *Server) OnDeltaStreamClosed(id int64, _ *core.Node) { s.closeStream(delta(id)) }

// OnStreamRequest records ACKs and NACKs and, for a proxy's first request
// or a newly requested listener, generates its snapshot before the cache
// looks for it.
func (s *Server) OnStreamRequest(id int64, req *discovery.DiscoveryRequest) error {
	ps, isNew, err := s.attach(sotw(id), req.GetNode())
	if err != nil {
		return err
	}
	s.recordAck(ps, req.GetTypeUrl(), req.GetVersionInfo(), req.GetErrorDetail().GetMessage(), req.GetResponseNonce() != "")
	if req.GetTypeUrl() == resource.EndpointType && ps.warms() {
		ps.keepSubscribed(req.GetResourceNames()) // a SotW request lists the whole subscription
	}
	return s.afterRequest(ps, isNew, req.GetTypeUrl(), req.GetResourceNames(), req.GetResponseNonce(), req.GetErrorDetail() == nil)
}

// afterRequest pushes a proxy's config when it is new, asks for a listener
// it did not ask for before, or acknowledges endpoints a warming step waits for.
func (s *Server) afterRequest(ps *proxyState, isNew bool, typeURL string, names []string, nonce string, ok bool) error {
	push := isNew
	switch typeURL {
	case resource.ListenerType:
		push = ps.addListeners(names) || push
	case resource.EndpointType:
		if nonce != "" && ok && ps.warms() {
			push = ps.recordEDSAck(nonce) || push
		}
	}
	switch {
	case isNew:
		s.queue.add(ps, laneConnect)
	case push:
		s.queue.add(ps, laneChange)
	}
	return nil
}

// OnStreamDeltaRequest does the same for incremental xDS.
func (s *Server) OnStreamDeltaRequest(id int64, req *discovery.DeltaDiscoveryRequest) error {
	ps, isNew, err := s.attach(delta(id), req.GetNode())
	if err != nil {
		return err
	}
	if req.GetResponseNonce() != "" {
		s.recordAck(ps, req.GetTypeUrl(), ps.sentVersion(req.GetTypeUrl()), req.GetErrorDetail().GetMessage(), true)
	}
	if req.GetTypeUrl() == resource.EndpointType && ps.warms() {
		ps.forget(req.GetResourceNamesUnsubscribe())
	}
	return s.afterRequest(ps, isNew, req.GetTypeUrl(), req.GetResourceNamesSubscribe(), req.GetResponseNonce(), req.GetErrorDetail() == nil)
}

func (s *Server) OnStreamResponse(_ context.Context, id int64, _ *discovery.DiscoveryRequest, resp *discovery.DiscoveryResponse) {
	ps := s.recordSent(sotw(id), resp.GetTypeUrl(), resp.GetVersionInfo())
	if ps != nil && resp.GetTypeUrl() == resource.EndpointType && ps.warms() {
		ps.recordEDSSent(resp.GetNonce(), endpointNames(resp))
	}
}

func (s *Server) OnStreamDeltaResponse(id int64, _ *discovery.DeltaDiscoveryRequest, resp *discovery.DeltaDiscoveryResponse) {
	ps := s.recordSent(delta(id), resp.GetTypeUrl(), resp.GetSystemVersionInfo())
	if ps != nil && resp.GetTypeUrl() == resource.EndpointType && ps.warms() {
		names := make([]string, 0, len(resp.GetResources()))
		for _, r := range resp.GetResources() {
			names = append(names, r.GetName())
		}
		ps.recordEDSSent(resp.GetNonce(), names)
	}
}

// endpointNames reads the cluster names of a SotW EDS response.
func endpointNames(resp *discovery.DiscoveryResponse) []string {
	names := make([]string, 0, len(resp.GetResources()))
	for _, a := range resp.GetResources() {
		var cla endpointv3.ClusterLoadAssignment
		if a.UnmarshalTo(&cla) == nil {
			names = append(names, cla.GetClusterName())
		}
	}
	return names
}

// attach finds or creates the proxy for a stream.
func (s *Server) attach(id streamKey, node *core.Node) (*proxyState, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.streams[id]; ok {
		return st.proxy, false, nil
	}
	p, err := xds.ParseNode(node)
	if err != nil {
		s.log.Warn("rejecting xDS stream", "err", err)
		return nil, false, err
	}
	ps, existed := s.proxies[p.ID]
	if !existed {
		ps = newProxyState(p)
		s.proxies[p.ID] = ps
		s.metrics.connected.Inc()
		s.log.Info("proxy connected", "proxy", p.ID, "kind", p.Kind)
	}
	ps.mu.Lock()
	ps.streams++
	ps.mu.Unlock()
	s.streams[id] = &streamState{proxy: ps}
	return ps, !existed, nil
}

func (s *Server) closeStream(id streamKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.streams[id]
	if !ok {
		return
	}
	delete(s.streams, id)
	ps := st.proxy
	ps.mu.Lock()
	ps.streams--
	gone := ps.streams == 0
	ps.mu.Unlock()
	if gone {
		delete(s.proxies, ps.proxy.ID)
		s.cache.ClearSnapshot(ps.proxy.ID)
		s.metrics.connected.Dec()
		s.log.Info("proxy disconnected", "proxy", ps.proxy.ID)
	}
}

// addListeners remembers requested listener names; true if any is new.
func (ps *proxyState) addListeners(names []string) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	added := false
	for _, n := range names {
		if !ps.listeners[n] {
			ps.listeners[n] = true
			added = true
		}
	}
	return added
}

func (ps *proxyState) status(typeURL string) *typeStatus {
	st, ok := ps.types[typeURL]
	if !ok {
		st = &typeStatus{}
		ps.types[typeURL] = st
	}
	return st
}

func (ps *proxyState) sentVersion(typeURL string) string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.status(typeURL).Sent
}

func (s *Server) recordSent(id streamKey, typeURL, version string) *proxyState {
	s.mu.Lock()
	st, ok := s.streams[id]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	st.proxy.mu.Lock()
	st.proxy.status(typeURL).Sent = version
	st.proxy.mu.Unlock()
	s.metrics.pushes.WithLabelValues(shortType(typeURL)).Inc()
	return st.proxy
}

// recordAck interprets a request that answers a response: with an error
// detail it is a NACK (the proxy keeps its previous config), else an ACK.
func (s *Server) recordAck(ps *proxyState, typeURL, version, nackMsg string, isReply bool) {
	if !isReply {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	st := ps.status(typeURL)
	if nackMsg == "" {
		st.Acked, st.Nack = version, false
		return
	}
	st.Nack = true
	ps.nacks++
	ps.lastNack = &Nack{Type: typeURL, Version: st.Sent, Error: nackMsg, Time: time.Now()}
	s.metrics.nacks.WithLabelValues(shortType(typeURL)).Inc()
	s.log.Error("proxy rejected config (NACK); it keeps its last good config",
		"proxy", ps.proxy.ID, "type", typeURL, "rejected_version", st.Sent, "acked_version", version, "error", nackMsg)
}
