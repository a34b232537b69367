package translate

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
)

// clusterTLS converts a DestinationRule's client TLS settings. SIMPLE and
// MUTUAL keep the file paths and credential for the generator, which
// builds what istiod builds for each proxy kind.
func clusterTLS(t *networking.ClientTLSSettings) *mesh.ClusterTLS {
	if t == nil {
		return nil
	}
	switch t.GetMode() {
	case networking.ClientTLSSettings_DISABLE:
		return &mesh.ClusterTLS{Mode: mesh.TLSDisable}
	case networking.ClientTLSSettings_ISTIO_MUTUAL:
		return &mesh.ClusterTLS{Mode: mesh.TLSIstioMutual, SANs: t.GetSubjectAltNames(), SNI: t.GetSni()}
	case networking.ClientTLSSettings_SIMPLE:
		return userTLS(mesh.TLSSimple, t)
	case networking.ClientTLSSettings_MUTUAL:
		return userTLS(mesh.TLSMutual, t)
	}
	return nil
}

func userTLS(mode mesh.TLSMode, t *networking.ClientTLSSettings) *mesh.ClusterTLS {
	out := &mesh.ClusterTLS{Mode: mode, SANs: t.GetSubjectAltNames(), SNI: t.GetSni(),
		CACertificates: t.GetCaCertificates(), CACRL: t.GetCaCrl(),
		InsecureSkipVerify: t.GetInsecureSkipVerify().GetValue(), CredentialName: t.GetCredentialName(),
		CACertCredentialName: t.GetCaCertCredentialName()}
	if mode == mesh.TLSMutual {
		out.ClientCertificate, out.PrivateKey = t.GetClientCertificate(), t.GetPrivateKey()
	}
	return out
}

// markSelected notes that clusters come from a rule with a
// workloadSelector: only there do sidecars fetch its credentials (Istio's
// "applicable at sidecars only if DestinationRule has a workloadSelector").
func markSelected(clusters []*mesh.Cluster) {
	for _, c := range clusters {
		if c.Policy.TLS != nil {
			c.Policy.TLS.Selected = true
		}
	}
}

// warnTLS reports the client TLS settings sidecars do not act on; selected
// tells a rule with a workloadSelector, whose credentials sidecars use.
func warnTLS(t *translator, name mesh.Ref, path string, tls *networking.ClientTLSSettings, selected bool) {
	m := tls.GetMode()
	if m != networking.ClientTLSSettings_SIMPLE && m != networking.ClientTLSSettings_MUTUAL {
		return
	}
	if strings.HasPrefix(tls.GetCredentialName(), configMapPrefix) {
		t.unsupported(name, path+".credentialName", "a ConfigMap credential is not served by weftd (istiod serves its CA): sidecars originate no TLS for this "+m.String()+" setting")
		return
	}
	if strings.HasPrefix(tls.GetCaCertCredentialName(), configMapPrefix) {
		t.unsupported(name, path+".caCertCredentialName", "a ConfigMap CA is not served by weftd: ignored, the CA comes from credentialName or caCertificates")
	}
	if selected {
		return
	}
	// istiod gives a sidecar no TLS at all for a credential in a rule
	// without a workloadSelector.
	if tls.GetCredentialName() != "" {
		t.unsupported(name, path+".credentialName", "applies to sidecars only in a DestinationRule with a workloadSelector, as in Istio: "+
			"sidecars originate no TLS for this "+m.String()+" setting (plaintext), as istiod sends")
	}
	if tls.GetCaCertCredentialName() != "" && tls.GetCredentialName() == "" {
		t.unsupported(name, path+".caCertCredentialName", "applies to sidecars only in a DestinationRule with a workloadSelector, as in Istio: "+
			"ignored, sidecars verify with caCertificates")
	}
}

// configMapPrefix marks a credential held in a ConfigMap (Istio's form).
const configMapPrefix = "configmap://"
