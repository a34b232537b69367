package simulate

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

const (
	apiListenerHCM        = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
	downstreamTLSMessage  = "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
	rawBufferMessage      = "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"
	handshakeFailedReason = "TLS handshake failed on filter chain %s: %s"
	// flagNone is how Envoy logs a connection with no response flag: it has
	// none for a failed downstream handshake.
	flagNone = "-"
)

// apiListenerChain wraps an API listener's HTTP connection manager in a
// filter chain: a proxyless client has no socket and no chain to pick,
// and the driver then reaches the HCM as it does for Envoy.
func apiListenerChain(l *listenerv3.Listener, res *Result) (*listenerv3.FilterChain, error) {
	hcm := l.GetApiListener().GetApiListener()
	if string(hcm.MessageName()) != apiListenerHCM {
		return nil, cannot("listener %s api_listener %s", l.GetName(), hcm.MessageName())
	}
	res.step("filter-chain", "none: API listener %s runs its HTTP connection manager in the client", l.GetName())
	f := &listenerv3.Filter{Name: filterHCM, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: hcm}}
	return &listenerv3.FilterChain{Filters: []*listenerv3.Filter{f}}, nil
}

// downstreamTLS is the chain's transport socket meeting the client. A
// chain that terminates TLS fails the handshake of a plaintext client or
// of one without the certificate it requires. A chain without TLS
// passes TLS bytes on as they are: a TCP proxy forwards them, the HTTP
// codec cannot parse them and answers 400 (DPE).
func downstreamTLS(fc *listenerv3.FilterChain, name string, req *Request, res *Result) error {
	ts := fc.GetTransportSocket()
	typ := string(ts.GetTypedConfig().MessageName())
	if ts == nil || typ == rawBufferMessage {
		if req.TLS != nil && chainHasFilter(fc, filterHCM) {
			res.fail(400, "DPE", "filter chain %s does not terminate TLS; the HTTP codec cannot parse a ClientHello", name)
		}
		return nil
	}
	if typ != downstreamTLSMessage {
		return cannot("filter chain %s transport_socket %s (%s)", name, ts.GetName(), typ)
	}
	ctx := &tlsv3.DownstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(ctx); err != nil {
		return cannot("filter chain %s transport_socket: %v", name, err)
	}
	return downstreamHandshake(ctx, name, req, res)
}

func downstreamHandshake(ctx *tlsv3.DownstreamTlsContext, name string, req *Request, res *Result) error {
	if hasClientSANMatchers(ctx) {
		return cannot("filter chain %s transport_socket: client certificate SAN matchers", name)
	}
	switch {
	case req.TLS == nil:
		res.fail(0, flagNone, handshakeFailedReason, name, "the client speaks plaintext")
	case ctx.GetRequireClientCertificate().GetValue() && req.TLS.ClientID == "":
		res.fail(0, flagNone, handshakeFailedReason, name, "a client certificate is required and the client sent none")
	default:
		res.DownstreamTLS = "terminated"
		res.step("filter-chain", "%s terminates TLS (client %s)", name, chainNameOr(req.TLS.ClientID, "without certificate"))
	}
	return nil
}

// hasClientSANMatchers: client identities the context accepts; not modelled.
func hasClientSANMatchers(ctx *tlsv3.DownstreamTlsContext) bool {
	common := ctx.GetCommonTlsContext()
	return len(common.GetValidationContext().GetMatchTypedSubjectAltNames()) > 0 ||
		len(common.GetCombinedValidationContext().GetDefaultValidationContext().GetMatchTypedSubjectAltNames()) > 0
}

func chainHasFilter(fc *listenerv3.FilterChain, name string) bool {
	for _, f := range fc.GetFilters() {
		if f.GetName() == name {
			return true
		}
	}
	return false
}
