package simulate

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// criterion is one FilterChainMatch field. score says how specifically
// a chain's value fits the connection: -1 excludes the chain, 0 is an
// empty (match-anything) value, higher is more specific.
type criterion struct {
	field string
	score func(m *listenerv3.FilterChainMatch, ci *connInfo) (int, error)
}

// criteria in the order Envoy applies them (Envoy: FilterChainMatch —
// destination port, destination IP, server name, transport protocol,
// application protocols, direct source IP, source type, source IP,
// source port).
var criteria = []criterion{
	{"destination_port", destinationPort},
	{"prefix_ranges", func(m *listenerv3.FilterChainMatch, ci *connInfo) (int, error) {
		return longestPrefix(m.GetPrefixRanges(), ci.local.Addr())
	}},
	{"server_names", serverNames},
	{"transport_protocol", transportProtocol},
	{"application_protocols", applicationProtocols},
	// No listener filter weft could emit rewrites the source (PROXY
	// protocol is not modelled), so the direct source is the source.
	{"direct_source_prefix_ranges", func(m *listenerv3.FilterChainMatch, ci *connInfo) (int, error) {
		return longestPrefix(m.GetDirectSourcePrefixRanges(), ci.source)
	}},
	{"source_type", sourceType},
	{"source_prefix_ranges", func(m *listenerv3.FilterChainMatch, ci *connInfo) (int, error) {
		return longestPrefix(m.GetSourcePrefixRanges(), ci.source)
	}},
	{"source_ports", sourcePorts},
}

func destinationPort(m *listenerv3.FilterChainMatch, ci *connInfo) (int, error) {
	return singleValue(m.GetDestinationPort() != nil, m.GetDestinationPort().GetValue() == uint32(ci.local.Port())), nil
}

func transportProtocol(m *listenerv3.FilterChainMatch, ci *connInfo) (int, error) {
	return singleValue(m.GetTransportProtocol() != "", m.GetTransportProtocol() == ci.transport), nil
}

// singleValue scores a criterion that is either unset or one value.
func singleValue(set, equal bool) int {
	switch {
	case !set:
		return 0
	case equal:
		return 1
	}
	return -1
}

var errUnknownAddress = errors.New("the request does not say this address")

// longestPrefix scores by the longest range holding ip; an IPv4 address
// never falls in an IPv6 range. Envoy files an empty list as 0.0.0.0/0
// and ::/0, so an explicit /0 ties with it.
func longestPrefix(ranges []*corev3.CidrRange, ip netip.Addr) (int, error) {
	if len(ranges) == 0 {
		return 0, nil
	}
	if !ip.IsValid() {
		return 0, errUnknownAddress
	}
	best := -1
	for _, r := range ranges {
		p, err := netip.ParsePrefix(r.GetAddressPrefix() + "/" + strconv.Itoa(int(r.GetPrefixLen().GetValue())))
		if err != nil {
			return 0, err
		}
		if p.Contains(ip) {
			best = max(best, p.Bits())
		}
	}
	return best, nil
}

// serverNames: an exact name beats every wildcard, a longer wildcard
// suffix beats a shorter one (Envoy: for www.example.com, first
// www.example.com, then *.example.com, then *.com, then no server_names).
func serverNames(m *listenerv3.FilterChainMatch, ci *connInfo) (int, error) {
	if len(m.GetServerNames()) == 0 {
		return 0, nil
	}
	best := -1
	for _, n := range m.GetServerNames() {
		best = max(best, serverNameFit(n, ci.serverName))
	}
	return best, nil
}

const exactServerName = 1 << 20 // longer than any DNS name

func serverNameFit(pattern, name string) int {
	suffix, wildcard := strings.CutPrefix(pattern, "*")
	switch {
	case name == "":
		return -1
	case pattern == name:
		return exactServerName
	case wildcard && strings.HasPrefix(suffix, ".") && len(name) > len(suffix) && strings.HasSuffix(name, suffix):
		return len(suffix)
	}
	return -1
}

// applicationProtocols: Envoy takes the connection's protocols in its
// order and picks the first one any chain lists, so a protocol earlier
// in the client's list scores higher.
func applicationProtocols(m *listenerv3.FilterChainMatch, ci *connInfo) (int, error) {
	if len(m.GetApplicationProtocols()) == 0 {
		return 0, nil
	}
	for i, p := range ci.alpn {
		for _, want := range m.GetApplicationProtocols() {
			if p == want {
				return len(ci.alpn) - i, nil
			}
		}
	}
	return -1, nil
}

// sourceType: LOCAL is a peer on loopback or on the connection's own
// local IP; EXTERNAL everything else.
func sourceType(m *listenerv3.FilterChainMatch, ci *connInfo) (int, error) {
	t := m.GetSourceType()
	if t == listenerv3.FilterChainMatch_ANY {
		return 0, nil
	}
	if !ci.source.IsValid() || !ci.local.Addr().IsValid() {
		return 0, errUnknownAddress
	}
	local := ci.source.IsLoopback() || ci.source == ci.local.Addr()
	return singleValue(true, local == (t == listenerv3.FilterChainMatch_SAME_IP_OR_LOOPBACK)), nil
}

// sourcePorts: the client's port is ephemeral; a request cannot say it.
func sourcePorts(m *listenerv3.FilterChainMatch, _ *connInfo) (int, error) {
	if len(m.GetSourcePorts()) == 0 {
		return 0, nil
	}
	return 0, errors.New("the client's source port is ephemeral and not part of the request")
}
