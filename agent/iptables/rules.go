// Package iptables builds and applies the nat rules that send a pod's TCP
// traffic through its sidecar: outbound to 15001, inbound to 15006, with the
// proxy's own traffic (UID/GID 1337) exempt so it can reach the real
// destination. Chains and rules follow Istio's istio-iptables (ISTIO_OUTPUT,
// ISTIO_REDIRECT, ISTIO_INBOUND, ISTIO_IN_REDIRECT) so people who debug
// Istio pods read weft's the same way.
package iptables

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Config is what `weft-agent iptables` takes; the injector fills it from
// Istio's traffic.sidecar.istio.io annotations.
type Config struct {
	ProxyUID, ProxyGID        int
	OutboundPort, InboundPort int
	// IncludeOutboundCIDRs "*" captures all outbound TCP; a list captures
	// only those destinations; "" captures none.
	IncludeOutboundCIDRs string
	ExcludeOutboundCIDRs string // CIDR list
	ExcludeOutboundPorts string // port list
	// IncludeInboundPorts "*" captures every inbound port; a list only
	// those; "" none.
	IncludeInboundPorts string
	ExcludeInboundPorts string // port list (the agent's 15020, 15021, 15090 among them)
}

// parsed is Config validated.
type parsed struct {
	Config
	allOut, allIn          bool
	includeOut, excludeOut []string
	excludeOutPorts        []string
	includeIn, excludeIn   []string
}

func (c Config) parse() (*parsed, error) {
	p := &parsed{Config: c, allOut: strings.TrimSpace(c.IncludeOutboundCIDRs) == "*",
		allIn: strings.TrimSpace(c.IncludeInboundPorts) == "*"}
	for _, id := range []struct {
		name string
		v    int
	}{{"proxy uid", c.ProxyUID}, {"proxy gid", c.ProxyGID}, {"outbound port", c.OutboundPort}, {"inbound port", c.InboundPort}} {
		if id.v <= 0 || id.v > 65535 {
			return nil, fmt.Errorf("iptables: %s %d out of range", id.name, id.v)
		}
	}
	var err error
	if !p.allOut {
		if p.includeOut, err = cidrs("include outbound ranges", c.IncludeOutboundCIDRs); err != nil {
			return nil, err
		}
	}
	if p.excludeOut, err = cidrs("exclude outbound ranges", c.ExcludeOutboundCIDRs); err != nil {
		return nil, err
	}
	if p.excludeOutPorts, err = ports("exclude outbound ports", c.ExcludeOutboundPorts); err != nil {
		return nil, err
	}
	if !p.allIn {
		if p.includeIn, err = ports("include inbound ports", c.IncludeInboundPorts); err != nil {
			return nil, err
		}
	}
	if p.excludeIn, err = ports("exclude inbound ports", c.ExcludeInboundPorts); err != nil {
		return nil, err
	}
	return p, nil
}

// cidrs keeps IPv4 ranges only: these are iptables (not ip6tables) rules;
// IPv6 entries are accepted and left to ip6tables (not yet applied).
func cidrs(what, list string) ([]string, error) {
	var out []string
	for _, f := range split(list) {
		pfx, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("iptables: %s: %q is not a CIDR", what, f)
		}
		if pfx.Addr().Is4() {
			out = append(out, pfx.Masked().String())
		}
	}
	return out, nil
}

func ports(what, list string) ([]string, error) {
	var out []string
	for _, f := range split(list) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("iptables: %s: %q is not a port", what, f)
		}
		out = append(out, strconv.Itoa(n))
	}
	return out, nil
}

func split(list string) []string {
	var out []string
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Rules returns the iptables-restore input (nat table) for c.
func Rules(c Config) (string, error) {
	p, err := c.parse()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("*nat")
	for _, ch := range []string{"ISTIO_INBOUND", "ISTIO_IN_REDIRECT", "ISTIO_OUTPUT", "ISTIO_REDIRECT"} {
		w(":%s - [0:0]", ch)
	}
	w("-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports %d", c.OutboundPort)
	w("-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports %d", c.InboundPort)
	p.inbound(w)
	p.outbound(w)
	w("COMMIT")
	return b.String(), nil
}

func (p *parsed) inbound(w func(string, ...any)) {
	if !p.allIn && len(p.includeIn) == 0 {
		return
	}
	w("-A PREROUTING -p tcp -j ISTIO_INBOUND")
	if p.allIn {
		for _, port := range p.excludeIn {
			w("-A ISTIO_INBOUND -p tcp --dport %s -j RETURN", port)
		}
		w("-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT")
		return
	}
	for _, port := range p.includeIn {
		w("-A ISTIO_INBOUND -p tcp --dport %s -j ISTIO_IN_REDIRECT", port)
	}
}

// outbound: the proxy's own connections (UID/GID) return, except that the
// proxy calling the pod's own IP over lo is inbound traffic (Istio's
// "hairpin" rule); the app's traffic over lo stays local.
func (p *parsed) outbound(w func(string, ...any)) {
	w("-A OUTPUT -p tcp -j ISTIO_OUTPUT")
	w("-A ISTIO_OUTPUT -o lo -s 127.0.0.6/32 -j RETURN")
	capturingIn := p.allIn || len(p.includeIn) > 0
	for _, owner := range []string{fmt.Sprintf("--uid-owner %d", p.ProxyUID), fmt.Sprintf("--gid-owner %d", p.ProxyGID)} {
		if capturingIn {
			w("-A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -p tcp -m owner %s -j ISTIO_IN_REDIRECT", owner)
		}
		w("-A ISTIO_OUTPUT -o lo -m owner ! %s -j RETURN", owner)
		w("-A ISTIO_OUTPUT -m owner %s -j RETURN", owner)
	}
	w("-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN")
	for _, port := range p.excludeOutPorts {
		w("-A ISTIO_OUTPUT -p tcp --dport %s -j RETURN", port)
	}
	for _, cidr := range p.excludeOut {
		w("-A ISTIO_OUTPUT -d %s -j RETURN", cidr)
	}
	if p.allOut {
		w("-A ISTIO_OUTPUT -j ISTIO_REDIRECT")
		return
	}
	for _, cidr := range p.includeOut {
		w("-A ISTIO_OUTPUT -d %s -j ISTIO_REDIRECT", cidr)
	}
}
