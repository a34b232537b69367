package server

import (
	"strconv"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/xds"
)

// afterRequest queues a push when the proxy is new, asks for a listener it
// did not ask for before, or acknowledges endpoints a warming step waits
// for; it reports whether it queued one.
func (s *Server) afterRequest(ps *proxyState, isNew bool, typeURL string, names []string, nonce string, ok bool) bool {
	push := isNew
	switch typeURL {
	case resource.ListenerType:
		push = ps.addListeners(names) || push
	case resource.SecretType:
		push = ps.addSecrets(names) || push
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
	return push
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

func (s *Server) recordSent(ps *proxyState, typeURL, version string) {
	ps.mu.Lock()
	ps.status(typeURL).Sent = version
	ps.mu.Unlock()
	s.metrics.pushes.WithLabelValues(shortType(typeURL)).Inc()
}

// recordAck interprets a request that answers a response: with an error
// detail it is a NACK (the proxy keeps its previous config), else an ACK.
// nonce is the response answered; a NACK is logged once per nonce.
func (s *Server) recordAck(ps *proxyState, a ackInfo) {
	if !a.isReply {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	st := ps.status(a.typeURL)
	if a.nackMsg == "" {
		st.Acked, st.Nack = a.version, false
		return
	}
	st.Nack = true
	ps.nacks++
	ps.lastNack = &Nack{Type: a.typeURL, Version: st.Sent, Error: a.nackMsg, Time: time.Now()}
	s.metrics.nacks.WithLabelValues(shortType(a.typeURL)).Inc()
	if !ps.firstNack(a.typeURL, a.nonce) {
		return
	}
	ok, dropped := s.nacks.allow()
	if !ok {
		return
	}
	s.log.Error("proxy rejected config (NACK); it keeps its last good config",
		"proxy", ps.Proxy().ID, "type", a.typeURL, "rejected_version", st.Sent, "acked_version", a.version,
		"error", truncate(a.nackMsg, maxLoggedNack), "nack_lines_suppressed", dropped)
}

// ackInfo is what a request says about the response it answers.
type ackInfo struct {
	typeURL, version, nonce, nackMsg string
	isReply                          bool
}

// maxLoggedNack bounds the error text a client gets logged.
const maxLoggedNack = 1024

// truncate shortens s to at most n bytes (on a rune boundary), saying so.
func truncate(s string, n int) string {
	head, cut := xds.Truncate(s, n)
	if !cut {
		return s
	}
	return head + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
