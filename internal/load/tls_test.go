package load

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/weftmesh/weft/ca"
	"github.com/weftmesh/weft/contract"
)

// TestPKIWritesAPluginDirAndIssuesWorkloadCerts: the directory is what
// weftd's plug-in CA loads, and a proxy's certificate chains to its root
// with exactly the proxy's SPIFFE identity.
func TestPKIWritesAPluginDirAndIssuesWorkloadCerts(t *testing.T) {
	pki, err := NewPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, err := ca.LoadPluginDir(pki.Dir)
	if err != nil {
		t.Fatalf("weftd would refuse the plug-in dir: %v", err)
	}
	if len(m.Chain) != 1 || !m.Chain[0].Equal(m.Roots[0]) {
		t.Errorf("plug-in CA chain = %d certificates, want the root above the intermediate", len(m.Chain))
	}
	spec := specFor(Options{TLS: pki, Namespaces: []string{"ns-3"}}, 1)
	cert, err := pki.Issue(spec.Identity())
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.Certificate) != 2 {
		t.Errorf("client chain has %d certificates, want leaf and intermediate", len(cert.Certificate))
	}
	inter := x509.NewCertPool()
	inter.AddCert(m.Cert)
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: pki.roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate does not verify: %v", err)
	}
	if len(cert.Leaf.URIs) != 1 || cert.Leaf.URIs[0].String() != "spiffe://cluster.local/ns/ns-3/sa/load-grpc" {
		t.Errorf("URI SANs = %v, want spiffe://cluster.local/ns/ns-3/sa/load-grpc", cert.Leaf.URIs)
	}
	if left := time.Until(cert.Leaf.NotAfter); left < time.Hour {
		t.Errorf("client certificate valid for %v more, want the CA's default lifetime", left)
	}
	if _, ok := cert.PrivateKey.(*ecdsa.PrivateKey); !ok {
		t.Errorf("key is %T, want ECDSA P-256", cert.PrivateKey)
	}
}

// TestPKIClientCompletesMutualTLS: the client config verifies a server
// certificate for weftd's Service name and presents its own certificate to
// a server that requires one from the mesh roots (weftd's secure port).
func TestPKIClientCompletesMutualTLS(t *testing.T) {
	pki, err := NewPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lis, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{servingCert(t, pki)},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.roots})
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	peer := make(chan string, 1)
	go func() {
		c, err := lis.Accept()
		if err != nil {
			peer <- err.Error()
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			peer <- err.Error()
			return
		}
		peer <- tc.ConnectionState().VerifiedChains[0][0].URIs[0].String()
		_, _ = io.Copy(io.Discard, c)
	}()
	cert, err := pki.Issue(ca.Identity{Namespace: "ns-0", ServiceAccount: "load-sidecar"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", lis.Addr().String(), pki.clientConfig(cert))
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer conn.Close()
	st := conn.ConnectionState()
	t.Logf("negotiated %s, key exchange %s", tls.VersionName(st.Version), st.CurveID)
	if got := <-peer; got != "spiffe://cluster.local/ns/ns-0/sa/load-sidecar" {
		t.Errorf("server saw %q", got)
	}
}

// servingCert is a stand-in for weftd's certificate: signed by the same
// CA for the control plane's DNS names.
func servingCert(t *testing.T, pki *PKI) tls.Certificate {
	t.Helper()
	m := pki.authority.Material()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: contract.ControlPlaneSANs(contract.DefaultNamespace), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, m.Cert, key.Public(), m.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, m.Cert.Raw}, PrivateKey: key}
}
