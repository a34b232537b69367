package simulate

import (
	"fmt"
	"net/netip"
	"strings"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// connInfo is what filter chain matching sees of a connection: addresses
// from the networking stack, the rest from listener filters.
type connInfo struct {
	// local is the connection's local address: the original destination
	// once restored, else the capture listener's own port (IP unknown).
	local      netip.AddrPort
	source     netip.Addr // invalid when the request names none
	serverName string
	transport  string
	alpn       []string
}

// selectFilterChain implements Envoy's FilterChainMatch selection. An
// API listener has no filter chain: its HTTP connection manager is
// wrapped in one so the driver reaches it the same way.
func selectFilterChain(l *listenerv3.Listener, req *Request, res *Result) (*listenerv3.FilterChain, error) {
	if l.GetApiListener() != nil {
		return apiListenerChain(l, res)
	}
	if l.GetFilterChainMatcher() != nil {
		return nil, cannot("listener %s filter_chain_matcher", l.GetName())
	}
	ci, err := inspectConn(l, req)
	if err != nil {
		return nil, err
	}
	fc, name, err := matchChain(l, ci)
	if err != nil {
		return nil, err
	}
	if fc == nil {
		res.fail(0, "NFCF", "no filter chain of listener %s matches %s and it has no default_filter_chain", l.GetName(), ci)
		return nil, nil
	}
	res.FilterChain = name
	res.step("filter-chain", "%s matches %s", name, ci)
	return fc, downstreamTLS(fc, name, req, res)
}

func (ci *connInfo) String() string {
	dest := ci.local.String()
	if !ci.local.Addr().IsValid() {
		dest = fmt.Sprintf("port %d", ci.local.Port())
	}
	s := fmt.Sprintf("destination %s, transport %s", dest, ci.transport)
	if ci.serverName != "" {
		s += ", server name " + ci.serverName
	}
	if len(ci.alpn) > 0 {
		s += ", ALPN " + strings.Join(ci.alpn, ",")
	}
	return s
}

// matchChain prunes the filter chains criterion by criterion, in
// Envoy's order (Envoy: filter chain match — at each step only the
// chains matching most specifically go on; a chain whose criterion is
// empty goes on only when no chain matches it specifically). It falls
// back to default_filter_chain when none is left.
func matchChain(l *listenerv3.Listener, ci *connInfo) (*listenerv3.FilterChain, string, error) {
	chains := l.GetFilterChains()
	cands, err := modelledChains(l)
	for _, crit := range criteria {
		if err != nil || len(cands) == 0 {
			break
		}
		cands, err = pruneChains(l, cands, crit, ci)
	}
	switch {
	case err != nil:
		return nil, "", err
	case len(cands) == 1:
		return chains[cands[0]], chainName(chains[cands[0]], cands[0]), nil
	case len(cands) > 1:
		return nil, "", cannot("listener %s filter_chains[%d] and [%d] match alike (Envoy rejects such a listener)", l.GetName(), cands[0], cands[1])
	}
	if d := l.GetDefaultFilterChain(); d != nil {
		return d, chainNameOr(d.GetName(), "default_filter_chain"), nil
	}
	return nil, "", nil
}

// chainName is the chain's name, or "#N" (its index) when it has none.
func chainName(fc *listenerv3.FilterChain, i int) string {
	return chainNameOr(fc.GetName(), fmt.Sprintf("#%d", i))
}

func chainNameOr(name, fallback string) string {
	if name == "" {
		return fallback
	}
	return name
}

// pruneChains keeps the candidates scoring highest on crit, none when every
// candidate fails it.
func pruneChains(l *listenerv3.Listener, cands []int, crit criterion, ci *connInfo) ([]int, error) {
	best, kept := -1, []int(nil)
	for _, i := range cands {
		s, err := crit.score(l.GetFilterChains()[i].GetFilterChainMatch(), ci)
		if err != nil {
			return nil, cannot("listener %s filter_chains[%d].filter_chain_match.%s: %v", l.GetName(), i, crit.field, err)
		}
		switch {
		case s > best:
			best, kept = s, []int{i}
		case s == best && s >= 0:
			kept = append(kept, i)
		}
	}
	return kept, nil
}

// modelledChains is every chain index, or an error naming a match field
// the criteria below do not cover.
func modelledChains(l *listenerv3.Listener) ([]int, error) {
	var out []int
	for i, fc := range l.GetFilterChains() {
		if f := unmodelledField(fc.GetFilterChainMatch()); f != "" {
			return nil, cannot("listener %s filter_chains[%d].filter_chain_match.%s", l.GetName(), i, f)
		}
		out = append(out, i)
	}
	return out, nil
}

func unmodelledField(m *listenerv3.FilterChainMatch) string {
	var field string
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if !modelledField(string(fd.Name())) {
			field = string(fd.Name())
		}
		return field == ""
	})
	return field
}

func modelledField(name string) bool {
	for _, c := range criteria {
		if c.field == name {
			return true
		}
	}
	return false
}
