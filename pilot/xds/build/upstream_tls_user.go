package build

import (
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// httpProtocolOptionsKey names the cluster's HTTP upstream options.
const httpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// setUserTLS originates the TLS a DestinationRule asks for with SIMPLE or
// MUTUAL, as istiod does for a sidecar. Proxyless clients get none, as
// from istiod: grpc-go takes certificates only from its bootstrap's
// certificate providers.
func setUserTLS(out *clusterv3.Cluster, c *mesh.Cluster, t *mesh.ClusterTLS, opts Options, deg *Degradations) {
	switch {
	case opts.Proxyless:
		deg.Add("cluster " + out.Name + " sent without TLS: DestinationRule tls mode " + tlsModeName(t.Mode) +
			" needs certificates grpc-go cannot take from xDS (istiod's proxyless clusters carry none either)")
		return
	case t.CredentialName != "" && (!t.Selected || strings.HasPrefix(t.CredentialName, configMapPrefix)):
		// istiod: a credential in a rule without a workloadSelector gives
		// a sidecar no TLS; weftd serves no ConfigMaps. Translate warns.
		return
	case t.Mode == mesh.TLSMutual && !fromCredential(t) && (t.ClientCertificate == "" || t.PrivateKey == ""):
		// istiod builds no TLS context (validation rejects such a rule).
		return
	}
	out.TransportSocket = &corev3.TransportSocket{Name: TransportSocketTLS,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(UserTLSContext(c, t))}}
	setAutoSNI(out, t)
}

func tlsModeName(m mesh.TLSMode) string {
	if m == mesh.TLSMutual {
		return "MUTUAL"
	}
	return "SIMPLE"
}

// UserTLSContext is the client TLS of a SIMPLE or MUTUAL cluster: with
// certificates in files on the proxy, fetched from weft-agent by SDS under
// Istio's file-cert:/file-root: names (the agent reads and watches them),
// or, for a rule with a workloadSelector, from the credential's Secrets,
// fetched from weftd over ADS.
func UserTLSContext(c *mesh.Cluster, t *mesh.ClusterTLS) *tlsv3.UpstreamTlsContext {
	common := &tlsv3.CommonTlsContext{TlsParams: &tlsv3.TlsParameters{
		TlsMinimumProtocolVersion: tlsv3.TlsParameters_TLSv1_2, TlsMaximumProtocolVersion: tlsv3.TlsParameters_TLSv1_3}}
	cert, ca := userSecrets(t)
	if t.Mode == mesh.TLSMutual {
		common.TlsCertificateSdsSecretConfigs = []*tlsv3.SdsSecretConfig{cert}
	}
	switch {
	case t.InsecureSkipVerify && fromCredential(t):
		// istiod sets no validation context at all here; Envoy verifies nothing either way.
	case t.InsecureSkipVerify:
		common.ValidationContextType = &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{}}
	default:
		common.ValidationContextType = &tlsv3.CommonTlsContext_CombinedValidationContext{CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
			DefaultValidationContext: userValidation(c, t), ValidationContextSdsSecretConfig: ca}}
	}
	if explicitHTTP2(c) {
		common.AlpnProtocols = []string{"h2"}
	}
	return &tlsv3.UpstreamTlsContext{CommonTlsContext: common, Sni: t.SNI}
}

// userValidation checks the rule's SANs, else the ServiceEntry's (of any
// type, as istiod's match_subject_alt_names does), and its CRL file.
func userValidation(c *mesh.Cluster, t *mesh.ClusterTLS) *tlsv3.CertificateValidationContext {
	vc := &tlsv3.CertificateValidationContext{}
	sans := t.SANs
	if len(sans) == 0 {
		sans = c.Service.SubjectAltNames
	}
	for _, san := range sans {
		//lint:ignore SA1019 istiod's matcher: any SAN type, as the rule does not say which
		vc.MatchSubjectAltNames = append(vc.MatchSubjectAltNames, exact(san))
	}
	if t.CACRL != "" {
		vc.Crl = &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: t.CACRL}}
	}
	return vc
}

// setAutoSNI: without sni, Envoy sends the request's host as SNI and,
// without subjectAltNames either, checks the server certificate against
// it (istiod's auto_sni and auto_san_validation; HTTP requests only).
func setAutoSNI(out *clusterv3.Cluster, t *mesh.ClusterTLS) {
	if t.SNI != "" {
		return
	}
	o := httpProtocolOptionsOf(out)
	o.UpstreamHttpProtocolOptions = &corev3.UpstreamHttpProtocolOptions{AutoSni: true,
		AutoSanValidation: len(t.SANs) == 0 && !t.InsecureSkipVerify}
	if out.TypedExtensionProtocolOptions == nil {
		out.TypedExtensionProtocolOptions = map[string]*anypb.Any{}
	}
	out.TypedExtensionProtocolOptions[httpProtocolOptionsKey] = mustAny(o)
}

// httpProtocolOptionsOf is the cluster's HTTP options so far, else
// HTTP/1.1 ones (Envoy requires an upstream protocol; istiod's default).
func httpProtocolOptionsOf(out *clusterv3.Cluster) *httpv3.HttpProtocolOptions {
	o := &httpv3.HttpProtocolOptions{}
	if a := out.TypedExtensionProtocolOptions[httpProtocolOptionsKey]; a != nil && a.UnmarshalTo(o) == nil {
		return o
	}
	return &httpv3.HttpProtocolOptions{UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{
		ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_HttpProtocolOptions{HttpProtocolOptions: &corev3.Http1ProtocolOptions{}}}}}
}
