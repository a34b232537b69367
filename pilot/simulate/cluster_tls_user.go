package simulate

import (
	"net"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// noVerification is Upstream.TrustedCA when the proxy does not verify the
// server's certificate (insecureSkipVerify).
const noVerification = "none"

// tlsSecrets names the secrets a TLS context fetches: the client
// certificate presented and the roots the server is verified against.
func tlsSecrets(c *tlsv3.CommonTlsContext) (cert, ca string) {
	if sds := c.GetTlsCertificateSdsSecretConfigs(); len(sds) > 0 {
		cert = sds[0].GetName()
	} else if p := c.GetTlsCertificateProviderInstance(); p != nil {
		cert = p.GetCertificateName()
	}
	switch {
	case c.GetCombinedValidationContext() != nil:
		ca = c.GetCombinedValidationContext().GetValidationContextSdsSecretConfig().GetName()
	case c.GetValidationContextSdsSecretConfig() != nil:
		ca = c.GetValidationContextSdsSecretConfig().GetName()
	case c.GetValidationContext().GetCaCertificateProviderInstance() != nil:
		ca = c.GetValidationContext().GetCaCertificateProviderInstance().GetCertificateName()
	case c.GetValidationContext().GetTrustedCa() != nil:
		ca = "inline"
	default:
		ca = noVerification
	}
	return cert, ca
}

// applyAutoSNI: with auto_sni Envoy sends the request's host (without its
// port) as SNI when the TLS context sets none, and with
// auto_san_validation verifies the server certificate against it instead
// of the context's SAN matchers (its default validator prefers the
// per-connection list).
func applyAutoSNI(cl *clusterv3.Cluster, up *Upstream, req *Request) {
	if up.TransportSocket != socketTLS || !req.Protocol.IsHTTP() || req.Authority == "" {
		return
	}
	o := &httpv3.HttpProtocolOptions{}
	a := cl.GetTypedExtensionProtocolOptions()["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
	if a == nil || a.UnmarshalTo(o) != nil {
		return
	}
	host := req.Authority
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if o.GetUpstreamHttpProtocolOptions().GetAutoSni() && up.SNI == "" {
		up.SNI = host
	}
	if o.GetUpstreamHttpProtocolOptions().GetAutoSanValidation() && up.TrustedCA != noVerification {
		up.SANs = []string{"DNS:" + host}
	}
}
