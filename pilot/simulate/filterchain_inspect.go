package simulate

import (
	"net/netip"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// Listener filters the simulator models, by typed config message (Envoy
// picks the extension by type, not by the filter's name).
const (
	originalDstFilter   = "envoy.extensions.filters.listener.original_dst.v3.OriginalDst"
	tlsInspectorFilter  = "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"
	httpInspectorFilter = "envoy.extensions.filters.listener.http_inspector.v3.HttpInspector"
)

// inspectConn runs the listener filters over the request and returns what
// filter chain matching sees.
func inspectConn(l *listenerv3.Listener, req *Request) (*connInfo, error) {
	source, _ := netip.ParseAddr(req.SourceIP)
	ci := &connInfo{source: source.Unmap()}
	restored := l.GetUseOriginalDst().GetValue()
	for i, f := range l.GetListenerFilters() {
		typ, err := listenerFilterType(l, i, f)
		if err != nil {
			return nil, err
		}
		off, err := filterDisabled(f.GetFilterDisabled(), req)
		if err != nil {
			return nil, cannot("listener %s listener_filters[%d].filter_disabled: %v", l.GetName(), i, err)
		}
		if off {
			continue
		}
		restored = restored || typ == originalDstFilter
		inspectWith(typ, req, ci)
	}
	if ci.transport == "" {
		// Envoy's default when no listener filter detected a protocol.
		ci.transport = "raw_buffer"
	}
	ci.local = localAddress(l, req, restored)
	return ci, nil
}

func listenerFilterType(l *listenerv3.Listener, i int, f *listenerv3.ListenerFilter) (string, error) {
	typ := string(f.GetTypedConfig().MessageName())
	switch typ {
	case originalDstFilter, tlsInspectorFilter, httpInspectorFilter:
		return typ, nil
	}
	return "", cannot("listener %s listener_filters[%d] %s (%s)", l.GetName(), i, f.GetName(), typ)
}

// inspectWith applies one detecting listener filter. tls_inspector
// reads the ClientHello: transport "tls", SNI and ALPN. http_inspector
// only looks at plaintext, where it reports the HTTP version as ALPN
// ("h2c" for HTTP/2 with prior knowledge, as gRPC speaks it).
func inspectWith(typ string, req *Request, ci *connInfo) {
	switch {
	case typ == tlsInspectorFilter && req.TLS != nil:
		ci.transport, ci.serverName, ci.alpn = "tls", req.TLS.SNI, req.TLS.ALPN
	case typ == httpInspectorFilter && req.TLS == nil && req.Protocol == HTTP1:
		ci.alpn = []string{"http/1.1"}
	case typ == httpInspectorFilter && req.TLS == nil && req.Protocol.IsHTTP():
		ci.alpn = []string{"h2c"}
	}
}

// localAddress is the connection's local address as Envoy sees it.
// iptables rewrote the destination to the capture port: the original
// comes back only when use_original_dst or the original_dst listener
// filter restores it. A connection handed over to another listener was
// restored by the capturing one.
func localAddress(l *listenerv3.Listener, req *Request, restored bool) netip.AddrPort {
	ap, ok := listenerAddress(l)
	if ok && !restored && ap.Port() == uint16(capturePort(req.Direction)) {
		return netip.AddrPortFrom(netip.Addr{}, ap.Port())
	}
	ip, _ := netip.ParseAddr(req.DestIP)
	return netip.AddrPortFrom(ip.Unmap(), uint16(req.DestPort))
}
