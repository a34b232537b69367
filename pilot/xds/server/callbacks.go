package server

import (
	"context"
	"fmt"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/xds"
)

// streamState ties a stream to its proxy; delta requests carry the node
// only on the first message.
type streamState struct {
	proxy *proxyState
}

func (s *Server) OnStreamOpen(context.Context, int64, string) error      { return nil }
func (s *Server) OnDeltaStreamOpen(context.Context, int64, string) error { return nil }
func (s *Server) OnFetchRequest(context.Context, *discovery.DiscoveryRequest) error {
	return fmt.Errorf("REST fetch is not supported: use ADS")
}
func (s *Server) OnFetchResponse(*discovery.DiscoveryRequest, *discovery.DiscoveryResponse) {}

func (s *Server) OnStreamClosed(id int64, _ *core.Node)      { s.closeStream(id) }
func (s *Server) OnDeltaStreamClosed(id int64, _ *core.Node) { s.closeStream(id) }

// OnStreamRequest records ACKs and NACKs and, for a proxy's first request
// or a newly requested listener, generates its snapshot before the cache
// looks for it.
func (s *Server) OnStreamRequest(id int64, req *discovery.DiscoveryRequest) error {
	ps, isNew, err := s.attach(id, req.GetNode())
	if err != nil {
		return err
	}
	s.recordAck(ps, req.GetTypeUrl(), req.GetVersionInfo(), req.GetErrorDetail().GetMessage(), req.GetResponseNonce() != "")
	added := false
	if req.GetTypeUrl() == resource.ListenerType {
		added = ps.addListeners(req.GetResourceNames())
	}
	if isNew || added {
		s.push(ps)
	}
	return nil
}

// OnStreamDeltaRequest does the same for incremental xDS.
func (s *Server) OnStreamDeltaRequest(id int64, req *discovery.DeltaDiscoveryRequest) error {
	ps, isNew, err := s.attach(id, req.GetNode())
	if err != nil {
		return err
	}
	if req.GetResponseNonce() != "" {
		s.recordAck(ps, req.GetTypeUrl(), ps.sentVersion(req.GetTypeUrl()), req.GetErrorDetail().GetMessage(), true)
	}
	added := false
	if req.GetTypeUrl() == resource.ListenerType {
		added = ps.addListeners(req.GetResourceNamesSubscribe())
	}
	if isNew || added {
		s.push(ps)
	}
	return nil
}

func (s *Server) OnStreamResponse(_ context.Context, id int64, _ *discovery.DiscoveryRequest, resp *discovery.DiscoveryResponse) {
	s.recordSent(id, resp.GetTypeUrl(), resp.GetVersionInfo())
}

func (s *Server) OnStreamDeltaResponse(id int64, _ *discovery.DeltaDiscoveryRequest, resp *discovery.DeltaDiscoveryResponse) {
	s.recordSent(id, resp.GetTypeUrl(), resp.GetSystemVersionInfo())
}

// attach finds or creates the proxy for a stream.
func (s *Server) attach(id int64, node *core.Node) (*proxyState, bool, error) {
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

func (s *Server) closeStream(id int64) {
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

func (s *Server) recordSent(id int64, typeURL, version string) {
	s.mu.Lock()
	st, ok := s.streams[id]
	s.mu.Unlock()
	if !ok {
		return
	}
	st.proxy.mu.Lock()
	st.proxy.status(typeURL).Sent = version
	st.proxy.mu.Unlock()
	s.metrics.pushes.WithLabelValues(shortType(typeURL)).Inc()
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
