package envoy

import (
	"slices"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// istiod's server ALPN on inbound mTLS (checked against pilot-discovery):
// istio-peer-exchange, h2, http/1.1 where the chain proxies TCP, h2 and
// http/1.1 where an HTTP connection manager serves it.
func TestInboundMTLSALPNPerChain(t *testing.T) {
	m := featureIR(t, "inbound-catchall")
	tcp := []string{"istio-peer-exchange", "h2", "http/1.1"}
	http := []string{"h2", "http/1.1"}
	for _, tt := range []struct {
		ns, ip, app, chain string
		terminated         bool // the chain's TLS socket, not a TLS passthrough
		want               []string
	}{
		{"perm", "10.244.35.1", "api", "0.0.0.0_5432", true, tcp},
		{"perm", "10.244.35.1", "api", "0.0.0.0_8080", true, http},
		{"perm", "10.244.35.1", "api", CatchAllChain, true, tcp},
		{"perm", "10.244.35.1", "api", CatchAllHTTPChain, true, http},
		{"perm", "10.244.35.1", "api", "0.0.0.0_5432", false, nil},
		{"locked", "10.244.35.2", "vault", "0.0.0.0_8200", true, http},
		{"locked", "10.244.35.2", "vault", CatchAllChain, true, tcp},
	} {
		p := sidecar(tt.ns, tt.ip, map[string]string{"app": tt.app})
		l := listenerNamed(Listeners(m.Scoped(m.ScopeFor(p.Namespace, p.Labels)), p), "virtualInbound")
		got, found := chainALPN(t, l.GetFilterChains(), tt.chain, tt.terminated)
		if !found || !slices.Equal(got, tt.want) {
			t.Errorf("%s %s (terminated %v): ALPN %q (found %v), want %q", tt.app, tt.chain, tt.terminated, got, found, tt.want)
		}
	}
}

// chainALPN finds the chain of that name taking TLS (istiod names a
// port's chains alike) and returns the ALPN its TLS socket offers.
func chainALPN(t *testing.T, chains []*listenerv3.FilterChain, name string, terminated bool) ([]string, bool) {
	for _, fc := range chains {
		if fc.GetName() != name || fc.GetFilterChainMatch().GetTransportProtocol() == "raw_buffer" ||
			(fc.GetTransportSocket() != nil) != terminated {
			continue
		}
		if fc.GetTransportSocket() == nil {
			return nil, true
		}
		ctx := &tlsv3.DownstreamTlsContext{}
		if err := fc.GetTransportSocket().GetTypedConfig().UnmarshalTo(ctx); err != nil {
			t.Fatal(err)
		}
		return ctx.GetCommonTlsContext().GetAlpnProtocols(), true
	}
	return nil, false
}
