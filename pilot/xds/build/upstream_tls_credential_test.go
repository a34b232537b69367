package build

import (
	"testing"

	"github.com/weftmesh/weft/pilot/mesh"
)

// Which secrets a SIMPLE/MUTUAL cluster fetches, and from where: Secrets
// over ADS only for a rule with a workloadSelector, files otherwise.
func TestUserSecrets(t *testing.T) {
	files := mesh.ClusterTLS{Mode: mesh.TLSMutual, ClientCertificate: "/c.pem", PrivateKey: "/k.pem", CACertificates: "/ca.pem"}
	for _, tt := range []struct {
		name      string
		tls       mesh.ClusterTLS
		cert, ca  string
		certOnADS bool
		caOnADS   bool
	}{
		{"files", files, "file-cert:/c.pem~/k.pem", "file-root:/ca.pem", false, false},
		{"credential in a selected rule", mesh.ClusterTLS{Mode: mesh.TLSMutual, CredentialName: "cred", Selected: true},
			"kubernetes://cred", "kubernetes://cred-cacert", true, true},
		{"CA credential replaces the credential's CA", mesh.ClusterTLS{Mode: mesh.TLSMutual, CredentialName: "cred", CACertCredentialName: "roots", Selected: true},
			"kubernetes://cred", "kubernetes://roots-cacert", true, true},
		{"CA credential already naming its CA part", mesh.ClusterTLS{Mode: mesh.TLSSimple, CACertCredentialName: "roots-cacert", Selected: true},
			"file-cert:~", "kubernetes://roots-cacert", false, true},
		{"CA credential with files", func() mesh.ClusterTLS { f := files; f.CACertCredentialName, f.Selected = "roots", true; return f }(),
			"file-cert:/c.pem~/k.pem", "kubernetes://roots-cacert", false, true},
		{"ConfigMap CA credential keeps the credential's CA", mesh.ClusterTLS{Mode: mesh.TLSMutual, CredentialName: "cred", CACertCredentialName: "configmap://ns/roots", Selected: true},
			"kubernetes://cred", "kubernetes://cred-cacert", true, true},
		{"explicit kubernetes:// kept", mesh.ClusterTLS{Mode: mesh.TLSMutual, CredentialName: "kubernetes://cred", Selected: true},
			"kubernetes://cred", "kubernetes://cred-cacert", true, true},
		{"CA credential of a rule without selector ignored", func() mesh.ClusterTLS { f := files; f.CACertCredentialName = "roots"; return f }(),
			"file-cert:/c.pem~/k.pem", "file-root:/ca.pem", false, false},
	} {
		cert, ca := userSecrets(&tt.tls)
		if cert.GetName() != tt.cert || ca.GetName() != tt.ca {
			t.Errorf("%s: secrets %s, %s; want %s, %s", tt.name, cert.GetName(), ca.GetName(), tt.cert, tt.ca)
		}
		if (cert.GetSdsConfig().GetAds() != nil) != tt.certOnADS || (ca.GetSdsConfig().GetAds() != nil) != tt.caOnADS {
			t.Errorf("%s: certificate over ADS %v, CA over ADS %v; want %v, %v", tt.name,
				cert.GetSdsConfig().GetAds() != nil, ca.GetSdsConfig().GetAds() != nil, tt.certOnADS, tt.caOnADS)
		}
	}
}

// A credential gives a sidecar TLS only in a rule with a workloadSelector
// and when weftd serves it (a Secret, not a ConfigMap), as translate warns.
func TestCredentialTLSOnlyWhereServed(t *testing.T) {
	web := mesh.Port{Name: "http", Number: 8443, Protocol: mesh.ProtocolHTTP}
	for _, tt := range []struct {
		name string
		tls  mesh.ClusterTLS
		want bool
	}{
		{"selected Secret", mesh.ClusterTLS{Mode: mesh.TLSMutual, CredentialName: "c", Selected: true}, true},
		{"rule without selector", mesh.ClusterTLS{Mode: mesh.TLSMutual, CredentialName: "c"}, false},
		{"ConfigMap", mesh.ClusterTLS{Mode: mesh.TLSSimple, CredentialName: "configmap://ns/c", Selected: true}, false},
	} {
		cl, _ := userCluster(t, &tt.tls, web, false)
		if got := cl.GetTransportSocket() != nil; got != tt.want {
			t.Errorf("%s: TLS %v, want %v", tt.name, got, tt.want)
		}
	}
}
