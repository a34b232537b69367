package translate

import (
	"reflect"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
)

func TestClusterTLS(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   *networking.ClientTLSSettings
		want *mesh.ClusterTLS
	}{
		{"unset", nil, nil},
		{"disable", &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_DISABLE, Sni: "x"}, &mesh.ClusterTLS{Mode: mesh.TLSDisable}},
		{"istio mutual keeps sni and sans", &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_ISTIO_MUTUAL, Sni: "x", SubjectAltNames: []string{"s"}},
			&mesh.ClusterTLS{Mode: mesh.TLSIstioMutual, SNI: "x", SANs: []string{"s"}}},
		{"simple drops a client certificate", &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_SIMPLE, ClientCertificate: "/c", PrivateKey: "/k",
			CaCertificates: "/ca", CaCrl: "/crl", InsecureSkipVerify: wrapperspb.Bool(true)},
			&mesh.ClusterTLS{Mode: mesh.TLSSimple, CACertificates: "/ca", CACRL: "/crl", InsecureSkipVerify: true}},
		{"mutual", &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_MUTUAL, ClientCertificate: "/c", PrivateKey: "/k", CredentialName: "cred"},
			&mesh.ClusterTLS{Mode: mesh.TLSMutual, ClientCertificate: "/c", PrivateKey: "/k", CredentialName: "cred"}},
	} {
		if got := clusterTLS(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: clusterTLS = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// Credentials apply to sidecars only in a rule with a workloadSelector
// (Istio's ClientTLSSettings note); elsewhere, and for ConfigMaps weftd
// does not serve, translate says what sidecars get instead.
func TestWarnTLSCredentials(t *testing.T) {
	mutual := networking.ClientTLSSettings_MUTUAL
	for _, tt := range []struct {
		name     string
		tls      *networking.ClientTLSSettings
		selected bool
		want     []string // fields warned about
	}{
		{"selected credential", &networking.ClientTLSSettings{Mode: mutual, CredentialName: "c", CaCertCredentialName: "ca"}, true, nil},
		{"credential without selector", &networking.ClientTLSSettings{Mode: mutual, CredentialName: "c"}, false, []string{"tls.credentialName"}},
		{"CA credential without selector", &networking.ClientTLSSettings{Mode: mutual, ClientCertificate: "/c", PrivateKey: "/k", CaCertCredentialName: "ca"}, false,
			[]string{"tls.caCertCredentialName"}},
		{"ConfigMap credential", &networking.ClientTLSSettings{Mode: mutual, CredentialName: "configmap://ns/c"}, true, []string{"tls.credentialName"}},
		{"ConfigMap CA credential", &networking.ClientTLSSettings{Mode: mutual, CredentialName: "c", CaCertCredentialName: "configmap://ns/ca"}, true,
			[]string{"tls.caCertCredentialName"}},
		{"istio mutual", &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_ISTIO_MUTUAL}, false, nil},
	} {
		tr := &translator{m: &mesh.Mesh{}}
		warnTLS(tr, mesh.Ref{Kind: "DestinationRule", Namespace: "ns", Name: "r"}, "tls", tt.tls, tt.selected)
		var got []string
		for _, d := range tr.m.Diagnostics {
			got = append(got, d.Field)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: warnings on %v, want %v", tt.name, got, tt.want)
		}
	}
}
