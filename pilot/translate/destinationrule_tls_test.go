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
