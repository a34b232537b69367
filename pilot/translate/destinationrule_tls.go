package translate

import (
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
		InsecureSkipVerify: t.GetInsecureSkipVerify().GetValue(), CredentialName: t.GetCredentialName()}
	if mode == mesh.TLSMutual {
		out.ClientCertificate, out.PrivateKey = t.GetClientCertificate(), t.GetPrivateKey()
	}
	return out
}

// warnTLS reports the client TLS settings sidecars do not act on.
func warnTLS(t *translator, name mesh.Ref, path string, tls *networking.ClientTLSSettings) {
	m := tls.GetMode()
	if m != networking.ClientTLSSettings_SIMPLE && m != networking.ClientTLSSettings_MUTUAL {
		return
	}
	// istiod gives a sidecar no TLS at all for a credential in a rule
	// without a workloadSelector (the only rules weft applies).
	if tls.GetCredentialName() != "" {
		t.unsupported(name, path+".credentialName", "applies to sidecars only in a DestinationRule with a workloadSelector, as in Istio: "+
			"sidecars originate no TLS for this "+m.String()+" setting (plaintext), as istiod sends")
	}
	if tls.GetCaCertCredentialName() != "" {
		t.unsupported(name, path+".caCertCredentialName", "istiod does not use it for client TLS: ignored")
	}
}
