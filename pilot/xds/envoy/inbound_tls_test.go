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
		want               []string
	}{
		{"perm", "10.244.35.1", "api", "inbound|5432||-tls", tcp},
		{"perm", "10.244.35.1", "api", "inbound|8080||-tls", http},
		{"perm", "10.244.35.1", "api", CatchAllChain + "-mtls", tcp},
		{"perm", "10.244.35.1", "api", CatchAllHTTPChain + "-mtls", http},
		{"perm", "10.244.35.1", "api", "inbound|5432||-tls-passthrough", nil},
		{"locked", "10.244.35.2", "vault", "inbound|8200||", http},
		{"locked", "10.244.35.2", "vault", CatchAllChain + "-mtls", tcp},
	} {
		p := sidecar(tt.ns, tt.ip, map[string]string{"app": tt.app})
		l := listenerNamed(Listeners(m.Scoped(m.ScopeFor(p.Namespace, p.Labels)), p), "virtualInbound")
		got, found := chainALPN(t, l.GetFilterChains(), tt.chain)
		if !found || !slices.Equal(got, tt.want) {
			t.Errorf("%s %s: ALPN %q (found %v), want %q", tt.app, tt.chain, got, found, tt.want)
		}
	}
}

func chainALPN(t *testing.T, chains []*listenerv3.FilterChain, name string) ([]string, bool) {
	for _, fc := range chains {
		if fc.GetName() != name {
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
