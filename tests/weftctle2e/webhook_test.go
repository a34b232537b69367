package weftctle2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weftmesh/weft/pilot/validation/webhook"
	"github.com/weftmesh/weft/tests/harness"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// badVS is invalid in Istio too ("weight -10 < 0"); weights that merely
// do not sum to 100 are not (a destination receives weight/sum).
const badVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews}, weight: 110}
    - {destination: {host: ratings}, weight: -10}
`

// goodVS's weights sum to 90, which Istio accepts: the webhook must too.
const goodVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews}, weight: 60}
    - {destination: {host: ratings}, weight: 30}
`

// validatingWebhook registers the handler for every mesh kind. failurePolicy
// is Fail here because the test waits for the server before applying; in
// weftd it starts as Ignore (see docs/weftctl.md).
const validatingWebhook = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: weft-validation-test}
webhooks:
- name: validation.weft.io
  clientConfig: {url: "https://%s/validate", caBundle: %s}
  rules:
  - apiGroups: [networking.istio.io, security.istio.io]
    apiVersions: ["*"]
    operations: [CREATE, UPDATE]
    resources: ["*"]
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: 5
`

// TestValidatingWebhookOnAPIServer: kubectl apply of a bad VirtualService
// is rejected with the message weftctl validate prints for the same file;
// a good one is accepted.
func TestValidatingWebhookOnAPIServer(t *testing.T) {
	env := sharedEnv(t)
	mustKubectl(t, env, "", "create", "namespace", "shop")
	addr, caPEM := serveWebhook(t)
	mustKubectl(t, env, fmt.Sprintf(validatingWebhook, addr, base64.StdEncoding.EncodeToString(caPEM)), "apply", "-f", "-")
	t.Cleanup(func() { _, _ = env.Kubectl("delete", "validatingwebhookconfiguration", "weft-validation-test") })

	want := cliMessage(t, badVS)
	denial := waitDenied(t, env, badVS)
	t.Logf("kubectl apply: %s", denial)
	if !strings.Contains(denial, want) {
		t.Errorf("kubectl apply was denied with\n%s\nwant the CLI's message\n%s", denial, want)
	}
	mustKubectl(t, env, goodVS, "apply", "-f", "-")
	if _, err := env.Kubectl("get", "virtualservice", "-n", "shop", "reviews"); err != nil {
		t.Errorf("good VirtualService not stored: %v", err)
	}
}

// cliMessage is weftctl validate's line for yaml without its severity,
// code and file position: the part the webhook must repeat word for word.
func cliMessage(t *testing.T, yaml string) string {
	f := filepath.Join(t.TempDir(), "vs.yaml")
	must(t, os.WriteFile(f, []byte(yaml), 0o644))
	_, code := run(t, "validate", "-f", f)
	out := lastStderr // validate reports on stderr, as istioctl does
	if code != 1 {
		t.Fatalf("weftctl validate: exit %d, want 1:\n%s", code, out)
	}
	_, msg, ok := strings.Cut(strings.TrimSpace(out), "(document 1): ")
	if !ok {
		t.Fatalf("unexpected weftctl validate output %q", out)
	}
	return msg
}

// waitDenied applies yaml until the API server has picked up the webhook
// configuration (it caches them briefly) and the apply is denied.
func waitDenied(t *testing.T, env *kubeenv.Env, yaml string) string {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := env.KubectlInput(yaml, "apply", "-f", "-")
		if err != nil && strings.Contains(err.Error(), "denied the request") {
			return err.Error()
		}
		if err == nil {
			_, _ = env.Kubectl("delete", "virtualservice", "-n", "shop", "reviews")
		}
		if time.Now().After(deadline) {
			t.Fatalf("bad VirtualService never denied; last: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// serveWebhook serves the handler over TLS on a free loopback port with a
// fresh self-signed certificate, returning the address and the CA PEM.
func serveWebhook(t *testing.T) (string, []byte) {
	cert, caPEM := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/validate" {
			http.NotFound(w, r)
			return
		}
		(&webhook.Handler{}).ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), caPEM
}

func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "weft-webhook-test"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

var crdsOnce sync.Once

// sharedEnv is the package's kube-apiserver with weft's CRDs installed.
func sharedEnv(t *testing.T) *kubeenv.Env {
	env := kubeenv.Shared(t, kubeenv.Options{WithoutControllerManager: true})
	crdsOnce.Do(func() {
		root, err := harness.ModuleRoot()
		must(t, err)
		mustKubectl(t, env, "", "apply", "-f", filepath.Join(root, "manifests", "crds"))
		mustKubectl(t, env, "", "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
	})
	return env
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustKubectl(t *testing.T, env *kubeenv.Env, stdin string, args ...string) string {
	t.Helper()
	out, err := env.KubectlInput(stdin, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return out
}
