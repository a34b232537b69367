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
		AlpnProtocols: []string{"istio"},
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
// certificate from the mesh is required.
func DownstreamTLS(opts Options) *corev3.TransportSocket {
	ctx := &tlsv3.DownstreamTlsContext{
		CommonTlsContext:         commonTLS(nil, opts),
		RequireClientCertificate: wrapperspb.Bool(true),
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
