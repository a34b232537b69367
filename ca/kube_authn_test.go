package ca

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/ca/pb"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// TestTokenForANeverYieldsB: service account a's token, with a CSR that
// asks for b's SPIFFE ID, gets a certificate for a — over TLS, with a real
// TokenReview.
func TestTokenForANeverYieldsB(t *testing.T) {
	env := kubeEnv(t)
	ns := env.Namespace(t)
	createSA(t, env, ns, "a")
	createSA(t, env, ns, "b")
	s := newKubeCA(t, env, ns, nil)
	client := serveTLS(t, s, "istiod."+ns+".svc")
	wantB := fmt.Sprintf("spiffe://cluster.local/ns/%s/sa/b", ns)
	req := &pb.IstioCertificateRequest{Csr: string(csrPEM(t, ecKey(t), wantB))}
	for sa, want := range map[string]string{"a": fmt.Sprintf("spiffe://cluster.local/ns/%s/sa/a", ns), "b": wantB} {
		token := requestToken(t, env, ns, sa, DefaultAudience)
		resp, err := client.CreateCertificate(withToken(context.Background(), token), req)
		if err != nil {
			t.Fatalf("token of %s: %v", sa, err)
		}
		id, err := verifySVID(t, parseChain(t, resp.CertChain), s.RootBundle(), time.Now())
		if err != nil || id.String() != want {
			t.Fatalf("token of %s got %v (%v), want %s", sa, id, err, want)
		}
	}
}

// TestTokenReviewRejects: each bad credential is Unauthenticated, and a good
// credential with a garbage CSR is InvalidArgument.
func TestTokenReviewRejects(t *testing.T) {
	env := kubeEnv(t)
	ns := env.Namespace(t)
	sa := createSA(t, env, ns, "a")
	gone := createSA(t, env, ns, "gone")
	s := newKubeCA(t, env, ns, nil)
	csr := string(csrPEM(t, ecKey(t), ""))
	call := func(token, csr string) error {
		_, err := s.CreateCertificate(incoming(token), &pb.IstioCertificateRequest{Csr: csr})
		return err
	}

	// The hand-minted token is accepted while valid: so its rejection once
	// expired is due to the expiry and nothing else.
	if err := call(mintToken(t, env, sa, DefaultAudience, time.Now().Add(time.Hour)), csr); err != nil {
		t.Fatalf("control: a valid minted token must work: %v", err)
	}
	expectCode(t, "expired token", call(mintToken(t, env, sa, DefaultAudience, time.Now().Add(-time.Hour)), csr), codes.Unauthenticated)
	expectCode(t, "wrong audience", call(requestToken(t, env, ns, "a", "some-other-service"), csr), codes.Unauthenticated)
	expectCode(t, "not a JWT", call("not-a-token", csr), codes.Unauthenticated)
	expectCode(t, "no token", func() error {
		_, err := s.CreateCertificate(context.Background(), &pb.IstioCertificateRequest{Csr: csr})
		return err
	}(), codes.Unauthenticated)
	expectCode(t, "garbage CSR", call(requestToken(t, env, ns, "a", DefaultAudience), "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"), codes.InvalidArgument)

	// A token of a ServiceAccount deleted since: still unexpired and
	// correctly signed, refused because the account is gone. The CA is
	// asked once the API server itself knows (its account cache lags the
	// delete): a review that succeeded is cached (reviewcache.go), so an
	// earlier call would be answered from it for up to reviewMaxAge.
	goneToken := requestToken(t, env, ns, "gone", DefaultAudience)
	if err := env.Client.CoreV1().ServiceAccounts(ns).Delete(context.Background(), gone.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitCode(t, "the API server's review of the deleted account's token", func() error { return review(env, goneToken) }, codes.Unauthenticated)
	if err := call(goneToken, csr); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("deleted service account: got %v, want Unauthenticated", err)
	}
}

// review asks the API server directly, as Unauthenticated when it refuses.
func review(env *kubeenv.Env, token string) error {
	res, err := env.Client.AuthenticationV1().TokenReviews().Create(context.Background(),
		&authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token, Audiences: []string{DefaultAudience}}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	if !res.Status.Authenticated {
		return status.Error(codes.Unauthenticated, res.Status.Error)
	}
	return nil
}

// TestCustomAudience: Options.Audiences replaces istio-ca.
func TestCustomAudience(t *testing.T) {
	env := kubeEnv(t)
	ns := env.Namespace(t)
	createSA(t, env, ns, "a")
	s := newKubeCA(t, env, ns, func(o *Options) { o.Audiences = []string{"weft-ca"} })
	csr := string(csrPEM(t, ecKey(t), ""))
	_, err := s.CreateCertificate(incoming(requestToken(t, env, ns, "a", "weft-ca")), &pb.IstioCertificateRequest{Csr: csr})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateCertificate(incoming(requestToken(t, env, ns, "a", DefaultAudience)), &pb.IstioCertificateRequest{Csr: csr})
	expectCode(t, "istio-ca token for a weft-ca CA", err, codes.Unauthenticated)
}

func expectCode(t *testing.T, what string, err error, want codes.Code) {
	t.Helper()
	if status.Code(err) != want {
		t.Errorf("%s: got %v, want %s", what, err, want)
		return
	}
	t.Logf("%s: %v", what, err)
}

// waitCode retries while the API server's service-account cache catches up
// with a deletion.
func waitCode(t *testing.T, what string, call func() error, want codes.Code) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := call()
		if status.Code(err) == want {
			t.Logf("%s: %v", what, err)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %v, want %s", what, err, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
