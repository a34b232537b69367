package support

// ingressNote: what Sidecar ingress does for Envoy sidecars (pilot/xds/envoy/inbound_sidecar.go).
const ingressNote = "sidecars: chains and inbound clusters for these ports replace the Service ports', as istiod; " +
	"proxyless: not applied, a grpc-go xDS server serves the port it listens on (translate warns)"

// sidecarIngressRows rates spec.ingress.
func sidecarIngressRows() []row {
	return concat([]row{
		{key: "ingress[]", entry: mesh(yes, no, ingressNote)},
		{key: "ingress[].port", entry: mesh(yes, no, ingressNote)},
		{key: "ingress[].port.number", entry: mesh(yes, no, ingressNote)},
		{key: "ingress[].port.protocol", entry: mesh(yes, no, "HTTP, HTTP2 and GRPC get an HTTP connection manager, others a TCP proxy; "+ingressNote)},
		{key: "ingress[].port.name", entry: mesh(yes, no, ingressNote)},
		{key: "ingress[].port.targetPort", entry: none("ignored, as by istiod: the ingress port is the application port")},
		{key: "ingress[].bind", entry: mesh(yes, no, "the address of a captureMode NONE listener (default the pod IP); with capture it only names the chain in istiod")},
		{key: "ingress[].captureMode", entry: mesh(yes, no, "NONE: a listener bound on bind:port instead of virtualInbound chains; DEFAULT and IPTABLES: chains in virtualInbound")},
		{key: "ingress[].defaultEndpoint", entry: mesh(yes, no, "127.0.0.1:PORT, 0.0.0.0:PORT (the pod IP) and unix:///path as STATIC clusters; unset forwards to the original destination")},
		{key: "ingress[].tls", entry: none("ignored, as istiod does unless its experimental ENABLE_TLS_ON_SIDECAR_INGRESS flag is on: PeerAuthentication mTLS applies on the port"), subtree: true},
	}, sidecarPoolRows("ingress[].connectionPool"), sidecarPoolRows("inboundConnectionPool"))
}

// egressPortNote: what a port on an egress listener does (pilot/mesh/scope_ports.go).
const egressPortNote = "HTTP ports: routes on the port see only the listener's hosts; TCP ports add their hosts, " +
	"istiod keeping the catch-all listener's services on their own addresses; " + sidecarNoProxyless

// sidecarEgressPortRows rates the per-port fields of spec.egress.
func sidecarEgressPortRows() []row {
	return []row{
		{key: "egress[].port", entry: mesh(yes, no, egressPortNote)},
		{key: "egress[].port.number", entry: mesh(yes, no, egressPortNote)},
		{key: "egress[].port.protocol", entry: mesh(part, no, "sets the port's listener protocol, as istiod (an HTTP service behind a TCP port is proxied as TCP); HTTP_PROXY listeners are not built (translate warns); "+sidecarNoProxyless)},
		{key: "egress[].port.name", entry: mesh(yes, no, egressPortNote)},
		{key: "egress[].port.targetPort", entry: none("ignored, as by istiod (deprecated)")},
		{key: "egress[].bind", entry: mesh(part, no, "the port's listener address (TCP ports: one listener, the first service by host name, as istiod keeps the first); unix sockets are not supported (translate warns)")},
		{key: "egress[].captureMode", entry: mesh(yes, no, "NONE: the port's listener is bound on bind (127.0.0.1 by default) for applications to call directly; DEFAULT and IPTABLES serve redirected traffic")},
	}
}

// egressProxyNote: outboundTrafficPolicy.egressProxy (pilot/xds/envoy/listeners.go unknownCluster).
const egressProxyNote = "under ALLOW_ANY unknown destinations (virtualOutbound's catch-all, non-HTTP traffic on HTTP ports, " +
	"the allow_any route) go to outbound|PORT|SUBSET|HOST as istiod names it; the host must be imported by the egress hosts " +
	"(translate warns otherwise); " + sidecarNoProxyless

// sidecarEgressProxyRows rates outboundTrafficPolicy.egressProxy.
func sidecarEgressProxyRows() []row {
	p := "outboundTrafficPolicy.egressProxy"
	return []row{
		{key: p, entry: mesh(yes, no, egressProxyNote)},
		{key: p + ".host", entry: mesh(yes, no, "used as written, as istiod does: a short name matches no cluster; "+sidecarNoProxyless)},
		{key: p + ".subset", entry: mesh(yes, no, egressProxyNote)},
		{key: p + ".port", entry: mesh(yes, no, egressProxyNote)},
		{key: p + ".port.number", entry: mesh(yes, no, egressProxyNote)},
	}
}

// sidecarPoolRows rate a Sidecar connection pool: the DestinationRule
// fields, applied to inbound clusters, never to proxyless servers.
func sidecarPoolRows(p string) []row {
	rows := connectionPoolRows(p)
	for i := range rows {
		e := &rows[i].entry
		if e.Sidecar != no {
			e.Proxyless = no
			e.Note = "on the inbound cluster, as istiod (over any DestinationRule pool); " + sidecarNoProxyless
		}
	}
	return rows
}

// sidecarNoProxyless: what grpcgen does not apply of a Sidecar (it scopes
// a proxyless client's egress hosts only).
const sidecarNoProxyless = "proxyless: not applied; grpcgen applies only the egress hosts of a proxyless client's Sidecar"
