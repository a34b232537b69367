package server

import (
	"sort"

	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// ProxyStatus is one connected proxy as shown by /debug/syncz.
type ProxyStatus struct {
	ID        string                `json:"id"`
	Kind      xds.Kind              `json:"kind"`
	Namespace string                `json:"namespace"`
	Streams   int                   `json:"streams"`
	Types     map[string]typeStatus `json:"types"`
	Nacks     int                   `json:"nacks"`
	LastNack  *Nack                 `json:"lastNack,omitempty"`
}

// Status lists every connected proxy, sorted by id.
func (s *Server) Status() []ProxyStatus {
	out := []ProxyStatus{}
	for _, ps := range s.connected() {
		ps.mu.Lock()
		st := ProxyStatus{ID: ps.Proxy().ID, Kind: ps.Proxy().Kind, Namespace: ps.Proxy().Namespace, Streams: len(ps.subscribers),
			Types: map[string]typeStatus{}, Nacks: ps.nacks, LastNack: ps.lastNack}
		for t, ts := range ps.types {
			st.Types[t] = *ts
		}
		ps.mu.Unlock()
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Resources returns the configuration last generated for a proxy.
func (s *Server) Resources(nodeID string) (xds.Resources, bool) {
	s.mu.Lock()
	ps, ok := s.proxies[nodeID]
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	ps.mu.Lock()
	shown := ps.shown
	ps.mu.Unlock()
	if shown == nil {
		return nil, false
	}
	return share.Resources(shown), true // decodes the parts: debug views only
}
