package build

import (
	"strings"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/pilot/mesh"
)

// Istio's resource names for credentials: a Kubernetes Secret, and the CA
// part of one (weftd serves NAME-cacert from the Secret NAME-cacert, else
// from NAME's CA keys, as istiod).
const (
	credentialPrefix = "kubernetes://"
	configMapPrefix  = "configmap://"
	caSuffix         = "-cacert"
)

// fromCredential: the sidecar takes its certificates from a Kubernetes
// Secret, which Istio does only for a rule with a workloadSelector.
func fromCredential(t *mesh.ClusterTLS) bool {
	return t.Selected && t.CredentialName != ""
}

// caCredential is the Secret the CA comes from: caCertCredentialName, else
// credentialName's; "" for files. A ConfigMap is not served (translate warns).
func caCredential(t *mesh.ClusterTLS) string {
	if !t.Selected {
		return ""
	}
	if n := t.CACertCredentialName; n != "" && !strings.HasPrefix(n, configMapPrefix) {
		return n
	}
	return t.CredentialName
}

// userSecrets are the client certificate and CA secrets a SIMPLE or
// MUTUAL cluster fetches: from weftd over ADS for credentials, else from
// weft-agent's files.
func userSecrets(t *mesh.ClusterTLS) (cert, ca *tlsv3.SdsSecretConfig) {
	if fromCredential(t) {
		cert = sdsADS(credentialResource(t.CredentialName))
	} else {
		cert = sds(contract.FileCertName(t.ClientCertificate, t.PrivateKey))
	}
	if n := caCredential(t); n != "" {
		ca = sdsADS(caResource(n))
	} else {
		ca = sds(contract.FileRootName(t.CACertificates))
	}
	return cert, ca
}

// credentialResource is Istio's SDS name of a credential: kubernetes://NAME
// unless the name already says its kind.
func credentialResource(name string) string {
	if strings.Contains(name, "://") {
		return name
	}
	return credentialPrefix + name
}

func caResource(name string) string {
	r := credentialResource(name)
	if strings.HasSuffix(r, caSuffix) {
		return r
	}
	return r + caSuffix
}

// sdsADS fetches a secret from weftd on the proxy's ADS stream, as istiod
// serves credentials (resource version V3, no initial fetch timeout
// override, so a missing Secret does not block the proxy).
func sdsADS(name string) *tlsv3.SdsSecretConfig {
	return &tlsv3.SdsSecretConfig{Name: name, SdsConfig: ADS()}
}
