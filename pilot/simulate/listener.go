package simulate

import (
	"net/netip"
	"strconv"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"github.com/weftmesh/weft/pilot/xds/envoy"
)

// matchListener picks the listener that takes the connection: for Envoy
// the capture listener iptables redirects to, or the one it hands the
// connection over to; for proxyless gRPC the API listener the client
// subscribed to.
func (c *Config) matchListener(req *Request, res *Result) (*listenerv3.Listener, error) {
	if req.Target != "" {
		return c.apiListener(req, res)
	}
	if loopback(req) {
		return c.loopbackListener(req, res)
	}
	capture, err := c.captureListener(req, res)
	if capture == nil || err != nil {
		return nil, err
	}
	l := capture
	if capture.GetUseOriginalDst().GetValue() {
		if l, err = c.handOff(capture, req); err != nil {
			return nil, err
		}
	}
	res.Listener = l.GetName()
	res.step("listener", "%s", listenerTrace(capture, l, req))
	return l, nil
}

func listenerTrace(capture, l *listenerv3.Listener, req *Request) string {
	dest := req.DestIP + ":" + portText(req.DestPort)
	if l == capture {
		return capture.GetName() + " captured " + dest
	}
	return capture.GetName() + " captured " + dest + "; use_original_dst hands it to " + l.GetName()
}

// capturePort is where iptables redirects each direction (weft's
// virtualOutbound and virtualInbound bind there).
func capturePort(d Direction) uint32 {
	if d == Inbound {
		return envoy.InboundCapturePort
	}
	return envoy.OutboundCapturePort
}

// captureListener finds the listener bound on the capture port by its
// address, not its name: iptables knows only the port. With none bound
// the kernel refuses the connection before Envoy sees it.
func (c *Config) captureListener(req *Request, res *Result) (*listenerv3.Listener, error) {
	port := capturePort(req.Direction)
	var found []*listenerv3.Listener
	for _, l := range c.Listeners {
		ap, ok := listenerAddress(l)
		if ok && ap.Port() == uint16(port) && bindsToPort(l) {
			found = append(found, l)
		}
	}
	switch len(found) {
	case 0:
		res.fail(0, flagNone, "no listener bound on port %d: connection refused", port)
		return nil, nil
	case 1:
		return found[0], nil
	}
	return nil, cannot("%d listeners bound on capture port %d (%s, %s)", len(found), port, found[0].GetName(), found[1].GetName())
}

// loopbackListener: Istio's iptables rules leave outbound connections to
// loopback addresses alone, so an application calling 127.0.0.1:PORT
// reaches the listener bound there (a Sidecar egress listener with
// captureMode NONE), not the capture listener.
// With nothing bound there the kernel refuses the connection.
func (c *Config) loopbackListener(req *Request, res *Result) (*listenerv3.Listener, error) {
	ip := netip.MustParseAddr(req.DestIP)
	l, err := c.listenerAt(netip.AddrPortFrom(ip, uint16(req.DestPort)))
	if err != nil {
		return nil, err
	}
	if l == nil || !bindsToPort(l) {
		res.fail(0, flagNone, "nothing bound on %s:%s and loopback traffic is not redirected: connection refused", req.DestIP, portText(req.DestPort))
		return nil, nil
	}
	res.Listener = l.GetName()
	res.step("listener", "%s bound on %s:%s (loopback traffic is not redirected)", l.GetName(), req.DestIP, portText(req.DestPort))
	return l, nil
}

func loopback(req *Request) bool {
	ip, err := netip.ParseAddr(req.DestIP)
	return req.Direction == Outbound && req.Target == "" && err == nil && ip.IsLoopback()
}

// bindsToPort: bind_to_port defaults to true; a listener that does not
// bind only serves connections handed over to it.
func bindsToPort(l *listenerv3.Listener) bool {
	return l.GetBindToPort() == nil || l.GetBindToPort().GetValue()
}

// listenerAddress is a listener's IP:port; false for pipes, internal
// listeners and API listeners, which no iptables rule reaches.
func listenerAddress(l *listenerv3.Listener) (netip.AddrPort, bool) {
	sa := l.GetAddress().GetSocketAddress()
	if sa == nil {
		return netip.AddrPort{}, false
	}
	ip, err := netip.ParseAddr(sa.GetAddress())
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(sa.GetPortValue())), true
}

// handOff follows Envoy's use_original_dst rule: the listener whose
// address is exactly the original destination, else the one on the
// wildcard address of the destination's family and its port; with
// neither, the capturing listener keeps the connection.
func (c *Config) handOff(capture *listenerv3.Listener, req *Request) (*listenerv3.Listener, error) {
	dest, err := originalDestination(req)
	if err != nil {
		return nil, err
	}
	wildcard := netip.AddrPortFrom(unspecifiedLike(dest.Addr()), dest.Port())
	for _, want := range []netip.AddrPort{dest, wildcard} {
		l, err := c.listenerAt(want)
		if l != nil || err != nil {
			return l, err
		}
	}
	return capture, nil
}

func originalDestination(req *Request) (netip.AddrPort, error) {
	ip, err := netip.ParseAddr(req.DestIP)
	if err != nil || req.DestPort > 65535 {
		return netip.AddrPort{}, cannot("request destination %q:%d is not an IP address and port", req.DestIP, req.DestPort)
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(req.DestPort)), nil
}

func unspecifiedLike(ip netip.Addr) netip.Addr {
	if ip.Is4() {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}

// listenerAt is the listener on exactly ap. Envoy also matches a
// listener's additional_addresses and lets an ipv4_compat [::] listener
// take IPv4; weft sets neither, so both are reported, not modelled.
func (c *Config) listenerAt(ap netip.AddrPort) (*listenerv3.Listener, error) {
	for _, l := range c.Listeners {
		if len(l.GetAdditionalAddresses()) > 0 {
			return nil, cannot("listener %s additional_addresses", l.GetName())
		}
		if l.GetAddress().GetSocketAddress().GetIpv4Compat() {
			return nil, cannot("listener %s address.socket_address.ipv4_compat", l.GetName())
		}
		if got, ok := listenerAddress(l); ok && got == ap {
			return l, nil
		}
	}
	return nil, nil
}

// apiListener is what a proxyless gRPC client uses: the listener named
// exactly as the dial target. When LDS has no such resource grpc-go's
// xDS resolver installs a config selector that fails every RPC with
// UNAVAILABLE; Flag carries that gRPC code, there being no Envoy flag.
func (c *Config) apiListener(req *Request, res *Result) (*listenerv3.Listener, error) {
	for _, l := range c.Listeners {
		if l.GetName() != req.Target {
			continue
		}
		if l.GetApiListener() == nil {
			return nil, cannot("listener %s has no api_listener; a gRPC client needs one", l.GetName())
		}
		res.Listener = l.GetName()
		res.step("listener", "API listener %s (proxyless gRPC, in-process)", l.GetName())
		return l, nil
	}
	res.fail(0, "UNAVAILABLE", "LDS has no listener %q: grpc-go fails the RPC", req.Target)
	return nil, nil
}

func portText(p uint32) string { return strconv.FormatUint(uint64(p), 10) }
