package simulate

import (
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rawv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/contract"
)

// Transport socket kinds reported in Upstream.TransportSocket.
const (
	socketPlaintext = "plaintext"
	socketTLS       = "tls"
	socketIstioMTLS = "istio-mtls"
)

// socketInfo is what a transport socket makes the proxy send.
type socketInfo struct {
	kind string
	sni  string
	sans []string
	// cert and ca name the client certificate and trusted roots (SDS
	// secret or certificate provider names).
	cert, ca string
	alpn     []string // offered in the ClientHello
}

// describeSocket classifies a transport socket; where names it in a
// CannotSimulateError.
func describeSocket(where string, ts *corev3.TransportSocket) (socketInfo, error) {
	if ts == nil {
		return socketInfo{kind: socketPlaintext}, nil
	}
	cfg := ts.GetTypedConfig()
	if cfg == nil {
		return socketInfo{}, cannot("%s %s without typed_config", where, ts.GetName())
	}
	msg, err := cfg.UnmarshalNew()
	if err != nil {
		return socketInfo{}, cannot("%s %s: %v", where, cfg.GetTypeUrl(), err)
	}
	switch m := msg.(type) {
	case *rawv3.RawBuffer:
		return socketInfo{kind: socketPlaintext}, nil
	case *tlsv3.UpstreamTlsContext:
		return describeTLS(m), nil
	}
	return socketInfo{}, cannot("%s %s", where, cfg.GetTypeUrl())
}

// describeTLS tells weft's Istio mutual TLS (the workload certificate and
// the mesh root, by SDS for Envoy or certificate provider for grpc-go)
// from TLS with other certificates.
func describeTLS(ctx *tlsv3.UpstreamTlsContext) socketInfo {
	common := ctx.GetCommonTlsContext()
	kind := socketTLS
	if workloadCert(common) && meshRoot(common) {
		kind = socketIstioMTLS
	}
	cert, ca := tlsSecrets(common)
	return socketInfo{kind: kind, sni: ctx.GetSni(), sans: sanMatchers(validationContext(common)), cert: cert, ca: ca,
		alpn: common.GetAlpnProtocols()}
}

func workloadCert(c *tlsv3.CommonTlsContext) bool {
	sds := c.GetTlsCertificateSdsSecretConfigs()
	if len(sds) == 1 && len(c.GetTlsCertificates()) == 0 {
		return sds[0].GetName() == contract.SecretWorkload
	}
	p := c.GetTlsCertificateProviderInstance()
	return p.GetInstanceName() == contract.CertProviderInstance && p.GetCertificateName() == contract.SecretWorkload && len(sds) == 0
}

func meshRoot(c *tlsv3.CommonTlsContext) bool {
	if sds := c.GetCombinedValidationContext().GetValidationContextSdsSecretConfig(); sds != nil {
		return sds.GetName() == contract.SecretRootCA
	}
	if sds := c.GetValidationContextSdsSecretConfig(); sds != nil {
		return sds.GetName() == contract.SecretRootCA
	}
	p := c.GetValidationContext().GetCaCertificateProviderInstance()
	return p.GetInstanceName() == contract.CertProviderInstance && p.GetCertificateName() == contract.SecretRootCA
}

// validationContext is the inline part of the validation context (the
// SDS part carries only the trusted CA).
func validationContext(c *tlsv3.CommonTlsContext) *tlsv3.CertificateValidationContext {
	if v := c.GetCombinedValidationContext(); v != nil {
		return v.GetDefaultValidationContext()
	}
	return c.GetValidationContext()
}

// sanMatchers renders the SAN matchers: an exact match as the name, any
// other as kind:value, prefixed by the SAN type when it is not URI.
func sanMatchers(v *tlsv3.CertificateValidationContext) []string {
	var out []string
	for _, m := range v.GetMatchTypedSubjectAltNames() {
		s := stringMatcher(m.GetMatcher())
		if m.GetSanType() != tlsv3.SubjectAltNameMatcher_URI {
			s = m.GetSanType().String() + ":" + s
		}
		out = append(out, s)
	}
	//lint:ignore SA1019 proxyless clusters still carry the deprecated field (grpc-go reads only it)
	for _, m := range v.GetMatchSubjectAltNames() {
		out = append(out, stringMatcher(m))
	}
	return out
}

func stringMatcher(m *matcherv3.StringMatcher) string {
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return p.Exact
	case *matcherv3.StringMatcher_Prefix:
		return "prefix:" + p.Prefix
	case *matcherv3.StringMatcher_Suffix:
		return "suffix:" + p.Suffix
	case *matcherv3.StringMatcher_Contains:
		return "contains:" + p.Contains
	case *matcherv3.StringMatcher_SafeRegex:
		return "regex:" + p.SafeRegex.GetRegex()
	}
	return fmt.Sprint(m)
}

// setHostSockets applies transport_socket_matches per host, Envoy's rule:
// the first match whose criteria are all present, with equal values, in
// the endpoint's envoy.transport_socket_match metadata; failing that, the
// first matching the locality's; failing that, the cluster's socket. An
// empty match matches every endpoint.
func setHostSockets(cl *clusterv3.Cluster, up *Upstream, hosts []host) error {
	socks, err := matchSockets(cl)
	if err != nil {
		return err
	}
	for i := range hosts {
		if s, ok := chooseSocket(cl.GetTransportSocketMatches(), socks, hosts[i]); ok {
			hosts[i].TransportSocket = s.kind
			adoptTLSNames(up, s)
		}
		up.Endpoints = append(up.Endpoints, hosts[i].Endpoint)
	}
	return nil
}

func matchSockets(cl *clusterv3.Cluster) ([]socketInfo, error) {
	var out []socketInfo
	for i, m := range cl.GetTransportSocketMatches() {
		s, err := describeSocket(fmt.Sprintf("%s transport_socket_matches[%d]", cl.GetName(), i), m.GetTransportSocket())
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func chooseSocket(matches []*clusterv3.Cluster_TransportSocketMatch, socks []socketInfo, h host) (socketInfo, bool) {
	for _, md := range []*structpb.Struct{h.meta, h.localityMD} {
		for i, m := range matches {
			if metadataMatch(m.GetMatch(), md) {
				return socks[i], true
			}
		}
	}
	return socketInfo{}, false
}

// metadataMatch: every key of want is in md with an equal value.
func metadataMatch(want, md *structpb.Struct) bool {
	for k, v := range want.GetFields() {
		got, ok := md.GetFields()[k]
		if !ok || !proto.Equal(got, v) {
			return false
		}
	}
	return true
}

// adoptTLSNames reports the SNI and SANs of the TLS a match chose when
// the cluster's own socket has none (auto mTLS: plaintext by default).
func adoptTLSNames(up *Upstream, s socketInfo) {
	if s.kind != socketPlaintext && up.SNI == "" && len(up.SANs) == 0 {
		up.SNI, up.SANs, up.ClientCertificate, up.TrustedCA, up.ALPN = s.sni, s.sans, s.cert, s.ca, s.alpn
	}
}
