package envoystandin

import (
	"crypto/tls"
	"errors"
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// upstreamTLS reads the cluster's transport socket: nil for plaintext
// (none, or raw_buffer), an error for anything but an UpstreamTlsContext
// whose secrets all come over SDS.
func upstreamTLS(pb *bootstrapv3.Bootstrap, c *clusterv3.Cluster) (*UpstreamTLS, error) {
	ts := c.GetTransportSocket()
	if ts == nil {
		return nil, nil
	}
	if ts.GetTypedConfig() == nil {
		return nil, fmt.Errorf("transport socket %q has no typed_config", ts.GetName())
	}
	msg, err := ts.GetTypedConfig().UnmarshalNew()
	if err != nil {
		return nil, fmt.Errorf("transport socket %q: %w", ts.GetName(), err)
	}
	if msg.ProtoReflect().Descriptor().FullName() == "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer" {
		return nil, nil
	}
	ctx, ok := msg.(*tlsv3.UpstreamTlsContext)
	if !ok {
		return nil, fmt.Errorf("transport socket %q is %s; the stand-in handles UpstreamTlsContext", ts.GetName(), ts.GetTypedConfig().GetTypeUrl())
	}
	if err := ctx.ValidateAll(); err != nil {
		return nil, fmt.Errorf("upstream TLS context invalid: %w", err)
	}
	return readTLSContext(pb, ctx)
}

func readTLSContext(pb *bootstrapv3.Bootstrap, ctx *tlsv3.UpstreamTlsContext) (*UpstreamTLS, error) {
	common := ctx.GetCommonTlsContext()
	out := &UpstreamTLS{SNI: ctx.GetSni(), ALPN: common.GetAlpnProtocols(),
		MinVersion: tlsVersion(common.GetTlsParams().GetTlsMinimumProtocolVersion()),
		MaxVersion: tlsVersion(common.GetTlsParams().GetTlsMaximumProtocolVersion())}
	certs := common.GetTlsCertificateSdsSecretConfigs()
	if len(common.GetTlsCertificates()) > 0 || len(certs) != 1 {
		return nil, errors.New("TLS context: the stand-in needs exactly one tls_certificate_sds_secret_configs entry and no static tls_certificates")
	}
	var err error
	if out.Certificate, err = secretSource(pb, certs[0]); err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	combined := common.GetCombinedValidationContext()
	if combined == nil {
		return nil, errors.New("TLS context has no combined_validation_context: Envoy would not verify the server against SDS roots and SANs")
	}
	if out.Validation, err = secretSource(pb, combined.GetValidationContextSdsSecretConfig()); err != nil {
		return nil, fmt.Errorf("validation context: %w", err)
	}
	out.SANs = sanMatchers(combined.GetDefaultValidationContext())
	return out, nil
}

// sanMatchers lists the typed matchers and the legacy untyped ones.
func sanMatchers(vc *tlsv3.CertificateValidationContext) []SANMatcher {
	var out []SANMatcher
	for _, m := range vc.GetMatchTypedSubjectAltNames() {
		out = append(out, SANMatcher{Type: m.GetSanType(), Matcher: m.GetMatcher()})
	}
	//lint:ignore SA1019 Envoy still honours the deprecated untyped matchers, so the stand-in does too
	for _, m := range vc.GetMatchSubjectAltNames() {
		out = append(out, SANMatcher{Matcher: m})
	}
	return out
}

// secretSource resolves an SDS secret config to the Unix socket of the
// static cluster serving it.
func secretSource(pb *bootstrapv3.Bootstrap, sc *tlsv3.SdsSecretConfig) (SecretSource, error) {
	if sc.GetName() == "" {
		return SecretSource{}, errors.New("SDS secret config has no name")
	}
	api := sc.GetSdsConfig().GetApiConfigSource()
	if api == nil || api.GetApiType() != corev3.ApiConfigSource_GRPC {
		return SecretSource{}, fmt.Errorf("secret %q: the stand-in needs sds_config.api_config_source of api_type GRPC", sc.GetName())
	}
	cluster, err := grpcCluster(api, "secret "+sc.GetName()+" sds_config")
	if err != nil {
		return SecretSource{}, err
	}
	c, err := staticCluster(pb, cluster)
	if err != nil {
		return SecretSource{}, fmt.Errorf("secret %q: %w", sc.GetName(), err)
	}
	pipe := firstEndpoint(c).GetPipe().GetPath()
	if pipe == "" {
		return SecretSource{}, fmt.Errorf("secret %q: SDS cluster %q has no pipe (Unix socket) endpoint", sc.GetName(), cluster)
	}
	return SecretSource{Name: sc.GetName(), Cluster: cluster, Pipe: pipe, SetNodeOnFirstMessageOnly: api.GetSetNodeOnFirstMessageOnly()}, nil
}

// tlsVersion maps Envoy's protocol version; TLS_AUTO is Envoy's upstream
// default, TLS 1.2 for both the minimum and the maximum.
func tlsVersion(v tlsv3.TlsParameters_TlsProtocol) uint16 {
	switch v {
	case tlsv3.TlsParameters_TLSv1_0:
		return tls.VersionTLS10
	case tlsv3.TlsParameters_TLSv1_1:
		return tls.VersionTLS11
	case tlsv3.TlsParameters_TLSv1_3:
		return tls.VersionTLS13
	default:
		return tls.VersionTLS12
	}
}
