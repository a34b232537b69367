package server

import (
	"maps"
	"slices"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// What one client's requests can make weftd hold is bounded: a request
// names only types weft serves and names of plausible length, and a
// stream or proxy keeps at most maxNames names of one type.
const (
	maxNames     = 1 << 16
	maxNameBytes = 1 << 10
)

// servedTypes are the types weft generates. A request for another type is
// answered by nothing, as istiod does, and logged and counted instead of
// remembered: its type URL is the client's to choose.
var servedTypes = map[string]bool{
	resource.ListenerType: true, resource.RouteType: true, resource.ClusterType: true,
	resource.EndpointType: true, resource.SecretType: true,
}

// ignoreType reports whether a request is for a type weft does not serve,
// counting it and logging it (rate-limited with the NACK lines). A proxy
// that connected with it still gets its configuration pushed.
func (s *Server) ignoreType(ps *proxyState, isNew bool, typeURL string) bool {
	if servedTypes[typeURL] {
		return false
	}
	if isNew {
		s.queue.add(ps, laneConnect)
	}
	s.metrics.refused.WithLabelValues("unserved_type").Inc()
	if ok, dropped := s.nacks.allow(); ok {
		s.log.Warn("ignoring a request for a type weft does not serve", "proxy", ps.Proxy().ID,
			"type", truncate(typeURL, 128), "lines_suppressed", dropped)
	}
	return true
}

// checkNames refuses names that could not be real resources' names, and
// more than maxNames of one type: held are kept already and the request
// adds added to them.
func (s *Server) checkNames(typeURL string, names []string, held, added int) error {
	if held+added > maxNames {
		s.metrics.refused.WithLabelValues("too_many_names").Inc()
		return status.Errorf(codes.InvalidArgument, "%s: %d resource names, at most %d per type", typeURL, held+added, maxNames)
	}
	for _, n := range names {
		if len(n) > maxNameBytes {
			s.metrics.refused.WithLabelValues("name_too_long").Inc()
			return status.Errorf(codes.InvalidArgument, "%s: a resource name of %d bytes (%q), at most %d", typeURL, len(n), truncate(n, 64), maxNameBytes)
		}
	}
	return nil
}

// checkSotWNames bounds a state-of-the-world request: its names replace
// the subscription, but listeners and secrets a proxy asked for by name
// are kept across requests.
func (s *Server) checkSotWNames(ps *proxyState, typeURL string, names []string) error {
	held, added := ps.namesKept(typeURL, names)
	if held == 0 && added == 0 {
		added = len(names)
	}
	return s.checkNames(typeURL, names, held, added)
}

// checkDeltaNames bounds a delta request: subscriptions add up across
// requests, and a reconnecting client lists the versions it has.
func (s *Server) checkDeltaNames(st *deltaStream, ps *proxyState, req *discovery.DeltaDiscoveryRequest) error {
	typeURL, sub := req.GetTypeUrl(), req.GetResourceNamesSubscribe()
	held, added := ps.namesKept(typeURL, sub)
	if ts := st.types[typeURL]; ts != nil && len(ts.subscribed) > held {
		held, added = len(ts.subscribed), len(sub) // at most; repeats are rare
	} else if held == 0 && added == 0 {
		added = len(sub)
	}
	if err := s.checkNames(typeURL, sub, held, added); err != nil {
		return err
	}
	unsub := req.GetResourceNamesUnsubscribe()
	if err := s.checkNames(typeURL, unsub, 0, len(unsub)); err != nil {
		return err
	}
	has := slices.Collect(maps.Keys(req.GetInitialResourceVersions()))
	return s.checkNames(typeURL, has, 0, len(has))
}

// namesKept says, for the types whose requested names a proxy keeps
// (listeners and secrets), how many it keeps and how many of names are new.
func (ps *proxyState) namesKept(typeURL string, names []string) (held, added int) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var kept map[string]bool
	switch typeURL {
	case resource.ListenerType:
		kept = ps.listeners
	case resource.SecretType:
		kept = ps.secrets
	default:
		return 0, 0
	}
	for _, n := range names {
		if !kept[n] {
			added++
		}
	}
	return len(kept), added
}
