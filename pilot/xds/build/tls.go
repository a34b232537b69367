package build

import (
	"sort"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/pilot/mesh"
)

// Names shared with weft-agent (package contract owns them): the SDS
// cluster in the Envoy bootstrap, the secrets it serves, and the
// certificate provider instance proxyless bootstraps declare.
const (
	SDSCluster           = contract.SDSCluster
	SecretWorkload       = contract.SecretWorkload
	SecretRootCA         = contract.SecretRootCA
	CertProviderInstance = contract.CertProviderInstance
	TransportSocketTLS   = "envoy.transport_sockets.tls"
)

// sds fetches a secret from weft-agent over the SDS cluster.
func sds(name string) *tlsv3.SdsSecretConfig {
	return &tlsv3.SdsSecretConfig{Name: name, SdsConfig: &corev3.ConfigSource{
		ResourceApiVersion: corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_ApiConfigSource{ApiConfigSource: &corev3.ApiConfigSource{
			ApiType:             corev3.ApiConfigSource_GRPC,
			TransportApiVersion: corev3.ApiVersion_V3,
			GrpcServices: []*corev3.GrpcService{{TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{
				EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{ClusterName: SDSCluster}}}},
		}},
	}}
}

func provider(cert string) *tlsv3.CertificateProviderPluginInstance {
	return &tlsv3.CertificateProviderPluginInstance{InstanceName: CertProviderInstance, CertificateName: cert}
}

// Istio's ALPN on mesh mTLS. A client offers istio-peer-exchange and
// istio (and h2 to an HTTP/2 cluster), which a PERMISSIVE server's mTLS
// chains match on; a server offers HTTP versions (and istio-peer-exchange
// on TCP chains), never istio, which would win over h2 in negotiation.
var (
	alpnMeshClient     = []string{"istio-peer-exchange", "istio"}
	alpnMeshClientH2   = []string{"istio-peer-exchange", "istio", "h2"}
	alpnMeshServerHTTP = []string{"h2", "http/1.1"}
	alpnMeshServerTCP  = []string{"istio-peer-exchange", "h2", "http/1.1"}
)

// meshServerCiphers are the cipher suites istiod lets a sidecar accept
// mesh mTLS with (TLS 1.2; TLS 1.3 suites are not configurable).
var meshServerCiphers = []string{
	"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
	"AES256-GCM-SHA384", "AES128-GCM-SHA256",
}

// meshTLSParams: TLS 1.2 to 1.3, as istiod sets on both sides of mesh mTLS.
func meshTLSParams(ciphers []string) *tlsv3.TlsParameters {
	return &tlsv3.TlsParameters{TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_2,
		TlsMaximumProtocolVersion: tlsv3.TlsParameters_TLSv1_3, CipherSuites: ciphers}
}

// commonTLS presents the workload certificate and validates peers against
// the mesh root, by SDS for Envoy and by certificate provider for grpc-go.
func commonTLS(sans []string, opts Options) *tlsv3.CommonTlsContext {
	if opts.Proxyless {
		vc := &tlsv3.CertificateValidationContext{CaCertificateProviderInstance: provider(SecretRootCA)}
		for _, san := range sans {
			//lint:ignore SA1019 grpc-go v1.85 reads only match_subject_alt_names, not the typed matchers
			vc.MatchSubjectAltNames = append(vc.MatchSubjectAltNames, exact(san))
		}
		return &tlsv3.CommonTlsContext{
			TlsCertificateProviderInstance: provider(SecretWorkload),
			ValidationContextType:          &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: vc},
		}
	}
	def := &tlsv3.CertificateValidationContext{}
	for _, san := range sans {
		def.MatchTypedSubjectAltNames = append(def.MatchTypedSubjectAltNames,
			&tlsv3.SubjectAltNameMatcher{SanType: tlsv3.SubjectAltNameMatcher_URI, Matcher: exact(san)})
	}
	return &tlsv3.CommonTlsContext{
		TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{sds(SecretWorkload)},
		ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
			DefaultValidationContext: def, ValidationContextSdsSecretConfig: sds(SecretRootCA)}},
	}
}

func exact(s string) *matcherv3.StringMatcher {
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s}}
}

// UpstreamTLS is the client side of Istio mutual TLS to a cluster.
func UpstreamTLS(c *mesh.Cluster, sans []string, opts Options) *corev3.TransportSocket {
	ctx := &tlsv3.UpstreamTlsContext{CommonTlsContext: commonTLS(sans, opts)}
	if !opts.Proxyless {
		ctx.Sni = IstioSNI(c)
		ctx.CommonTlsContext.TlsParams = meshTLSParams(nil)
		ctx.CommonTlsContext.AlpnProtocols = alpnMeshClient
		if explicitHTTP2(c) {
			ctx.CommonTlsContext.AlpnProtocols = alpnMeshClientH2
		}
	}
	return &corev3.TransportSocket{Name: TransportSocketTLS, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(ctx)}}
}

// IstioSNI is the server name of Istio mutual TLS to a cluster: the rule's
// sni, else outbound_.PORT_.SUBSET_.HOST (SUBSET empty for the default
// cluster), which istiod sends and a gateway's AUTO_PASSTHROUGH routes on.
func IstioSNI(c *mesh.Cluster) string {
	if t := c.Policy.TLS; t != nil && t.Mode == mesh.TLSIstioMutual && t.SNI != "" {
		return t.SNI
	}
	return "outbound_." + strconv.FormatUint(uint64(c.Key.Port), 10) + "_." + c.Key.Subset + "_." + c.Key.Host
}

// DownstreamTLS is the server side of Istio mutual TLS: a client
// certificate from the mesh is required. Sidecars get istiod's context
// for an HTTP filter chain; DownstreamTLSForTCP is that of a TCP one.
func DownstreamTLS(opts Options) *corev3.TransportSocket {
	return downstreamTLS(opts, alpnMeshServerHTTP)
}

// DownstreamTLSForTCP is DownstreamTLS for a filter chain that proxies
// TCP, where istiod also offers istio-peer-exchange.
func DownstreamTLSForTCP(opts Options) *corev3.TransportSocket {
	return downstreamTLS(opts, alpnMeshServerTCP)
}

func downstreamTLS(opts Options, alpn []string) *corev3.TransportSocket {
	ctx := &tlsv3.DownstreamTlsContext{
		CommonTlsContext:         commonTLS(nil, opts),
		RequireClientCertificate: wrapperspb.Bool(true),
	}
	if !opts.Proxyless {
		ctx.CommonTlsContext.TlsParams = meshTLSParams(meshServerCiphers)
		ctx.CommonTlsContext.AlpnProtocols = alpn
	}
	return &corev3.TransportSocket{Name: TransportSocketTLS, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(ctx)}}
}

// ServerSANs are the identities a cluster's servers may present: the
// DestinationRule's subjectAltNames, else the endpoints' service accounts.
func ServerSANs(c *mesh.Cluster, trustDomain string) []string {
	if c.Policy.TLS != nil && len(c.Policy.TLS.SANs) > 0 {
		return c.Policy.TLS.SANs
	}
	seen := map[string]bool{}
	for _, ep := range c.Endpoints() {
		if id := ep.Identity(trustDomain); id != "" {
			seen[id] = true
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
