package ca

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/tests/kubeenv"
)

func createSA(t testing.TB, env *kubeenv.Env, ns, name string) *corev1.ServiceAccount {
	t.Helper()
	sa, err := env.Client.CoreV1().ServiceAccounts(ns).Create(context.Background(),
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

// requestToken asks the API server for a bound token, as the kubelet does
// for istio-agent's projected istio-token volume.
func requestToken(t *testing.T, env *kubeenv.Env, ns, sa string, audiences ...string) string {
	t.Helper()
	seconds := int64(600) // the API server's minimum
	tr := &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{Audiences: audiences, ExpirationSeconds: &seconds}}
	res, err := env.Client.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), sa, tr, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Status.Token
}

// mintToken signs a service-account JWT with the API server's own signing
// key (kubeenv keeps it in Dir/pki/sa.key), with the expiry we choose: the
// only way to get a real, genuinely expired token without waiting the
// TokenRequest minimum of 10 minutes.
var mintedTokens atomic.Int64

func mintToken(t testing.TB, env *kubeenv.Env, sa *corev1.ServiceAccount, audience string, exp time.Time) string {
	t.Helper()
	keyPEM, err := os.ReadFile(filepath.Join(env.Dir, "pki", "sa.key"))
	if err != nil {
		t.Fatalf("kubeenv service-account signing key: %v", err)
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{
		"iss": "https://kubernetes.default.svc.cluster.local",
		"sub": "system:serviceaccount:" + sa.Namespace + ":" + sa.Name,
		"jti": fmt.Sprint(mintedTokens.Add(1)), // every minted token distinct, even with the same expiry
		"aud": []string{audience}, "exp": exp.Unix(), "iat": exp.Add(-time.Hour).Unix(), "nbf": exp.Add(-time.Hour).Unix(),
		"kubernetes.io": map[string]any{"namespace": sa.Namespace,
			"serviceaccount": map[string]string{"name": sa.Name, "uid": string(sa.UID)}},
	}
	return signES256(t, key.(*ecdsa.PrivateKey), claims)
}

func signES256(t testing.TB, key *ecdsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT"})
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := append(pad32(r), pad32(s)...)
	return input + "." + enc.EncodeToString(sig)
}

func pad32(n *big.Int) []byte {
	b := make([]byte, 32)
	return n.FillBytes(b)
}

// incoming is the server-side context of a call carrying token.
func incoming(token string) context.Context {
	return metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token))
}

// newKubeCA starts a CA in Kubernetes mode on ns's root Secret.
func newKubeCA(t testing.TB, env *kubeenv.Env, ns string, mutate func(*Options)) *Server {
	t.Helper()
	opts := Options{Kube: env.Client, Namespace: ns, DisableRootConfigMaps: true}
	if mutate != nil {
		mutate(&opts)
	}
	s, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
