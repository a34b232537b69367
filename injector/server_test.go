package injector

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"reflect"
	"testing"
	"time"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func equalPods(a, b *corev1.Pod) bool { return reflect.DeepEqual(a, b) }

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "weft-webhook"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestServerRoutesOverTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	validate := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv, err := NewServer(ServerOptions{Addr: "127.0.0.1:0",
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &cert, nil },
		Inject:         &Webhook{Settings: testSettings(false), Namespaces: staticNamespaces(nil)}, Validate: validate})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for path, want := range map[string]int{"/inject": http.StatusMethodNotAllowed, "/validate": http.StatusTeapot, "/ready": http.StatusOK} {
		resp, err := client.Get("https://" + srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", path, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}

func TestCABundlePatcher(t *testing.T) {
	cfg := &admissionregv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: WebhookConfigName},
		Webhooks: []admissionregv1.MutatingWebhook{{Name: "a.weft.io"}, {Name: "b.weft.io"}}}
	client := fake.NewClientset(cfg)
	root := []byte("-----BEGIN CERTIFICATE-----\n...\n")
	p := &CABundlePatcher{Client: client, Root: func() ([]byte, error) { return root, nil }}
	ctx := context.Background()
	if changed, err := p.Patch(ctx); err != nil || !changed {
		t.Fatalf("first patch: changed=%v err=%v", changed, err)
	}
	got, _ := client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, WebhookConfigName, metav1.GetOptions{})
	for _, w := range got.Webhooks {
		if string(w.ClientConfig.CABundle) != string(root) {
			t.Errorf("%s caBundle %q", w.Name, w.ClientConfig.CABundle)
		}
	}
	if changed, err := p.Patch(ctx); err != nil || changed {
		t.Fatalf("second patch should be a no-op: changed=%v err=%v", changed, err)
	}
	missing := &CABundlePatcher{Client: fake.NewClientset(), Root: p.Root}
	if changed, err := missing.Patch(ctx); err != nil || changed {
		t.Fatalf("missing configuration: changed=%v err=%v", changed, err)
	}
}
