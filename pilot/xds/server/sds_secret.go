package server

import (
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// Keys of the Secrets Istio accepts for credentials: generic (cert, key,
// cacert, crl) or kubernetes.io/tls (tls.crt, tls.key, ca.crt, ca.crl).
const (
	keyCert, keyKey, keyCACert, keyCRL = "cert", "key", "cacert", "crl"
	keyTLSCert, keyTLSKey, keyTLSCA    = "tls.crt", "tls.key", "ca.crt"
	keyTLSCRL, keyTLSStaple            = "ca.crl", "tls.ocsp-staple"
)

// envoySecret converts the Secret ref names into the SDS resource name:
// a certificate and key, or for NAME-cacert the CA (from the Secret
// NAME-cacert, else from NAME itself, as istiod).
func envoySecret(name string, ref secretRef, src SecretSource) (*tlsv3.Secret, error) {
	if ref.caOnly {
		data, ok := src.Secret(ref.namespace, ref.name)
		if !ok {
			data, ok = src.Secret(ref.namespace, strings.TrimSuffix(ref.name, caSuffix))
		}
		if !ok {
			return nil, fmt.Errorf("secret %s/%s not found", ref.namespace, strings.TrimSuffix(ref.name, caSuffix))
		}
		return caSecret(name, data)
	}
	data, ok := src.Secret(ref.namespace, ref.name)
	if !ok {
		return nil, fmt.Errorf("secret %s/%s not found", ref.namespace, ref.name)
	}
	return certSecret(name, data)
}

func certSecret(name string, d map[string][]byte) (*tlsv3.Secret, error) {
	tc := &tlsv3.TlsCertificate{}
	switch {
	case len(d[keyCert]) > 0 && len(d[keyKey]) > 0:
		tc.CertificateChain, tc.PrivateKey = inline(d[keyCert]), inline(d[keyKey])
	case len(d[keyTLSCert]) > 0 && len(d[keyTLSKey]) > 0:
		tc.CertificateChain, tc.PrivateKey = inline(d[keyTLSCert]), inline(d[keyTLSKey])
		if len(d[keyTLSStaple]) > 0 {
			tc.OcspStaple = inline(d[keyTLSStaple])
		}
	default:
		return nil, fmt.Errorf("found neither %q and %q nor %q and %q with values", keyCert, keyKey, keyTLSCert, keyTLSKey)
	}
	return &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: tc}}, nil
}

func caSecret(name string, d map[string][]byte) (*tlsv3.Secret, error) {
	vc := &tlsv3.CertificateValidationContext{}
	switch {
	case len(d[keyCACert]) > 0:
		vc.TrustedCa = inline(d[keyCACert])
		if len(d[keyCRL]) > 0 {
			vc.Crl = inline(d[keyCRL])
		}
	case len(d[keyTLSCA]) > 0:
		vc.TrustedCa = inline(d[keyTLSCA])
		if len(d[keyTLSCRL]) > 0 {
			vc.Crl = inline(d[keyTLSCRL])
		}
	default:
		return nil, fmt.Errorf("found neither %q nor %q with a value", keyCACert, keyTLSCA)
	}
	return &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_ValidationContext{ValidationContext: vc}}, nil
}

func inline(b []byte) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b}}
}
