package ca

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/ca/pb"
	"github.com/weftmesh/weft/tests/kubeenv"
)

// rotationRig is a CA (publishing istio-ca-root-cert) and a second replica
// on one root Secret, on a fake clock, with a workload token to sign for.
type rotationRig struct {
	t       *testing.T
	env     *kubeenv.Env
	ns      string
	clock   *fakeClock
	ca      *Server
	replica *Server
	token   string
}

const rigMaxTTL = 48 * time.Hour

func newRotationRig(t *testing.T) *rotationRig {
	env := kubeEnv(t)
	r := &rotationRig{t: t, env: env, ns: env.Namespace(t), clock: &fakeClock{t: time.Now()}}
	createSA(t, env, r.ns, "app")
	r.token = requestToken(t, env, r.ns, "app", DefaultAudience)
	opts := func(publish bool) func(*Options) {
		return func(o *Options) {
			o.Clock, o.MaxTTL, o.SyncInterval = r.clock.now, rigMaxTTL, time.Hour
			o.DisableRootConfigMaps = !publish
		}
	}
	r.ca = newKubeCA(t, env, r.ns, opts(true))
	r.replica = newKubeCA(t, env, r.ns, opts(false))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go r.ca.Run(ctx) // the publisher; syncs are driven by the test
	return r
}

// sign issues a max-TTL leaf from s and returns its chain.
func (r *rotationRig) sign(s *Server) []*x509.Certificate {
	r.t.Helper()
	req := &pb.IstioCertificateRequest{Csr: string(csrPEM(r.t, ecKey(r.t), "")), ValidityDuration: int64(rigMaxTTL / time.Second)}
	resp, err := s.CreateCertificate(incoming(r.token), req)
	if err != nil {
		r.t.Fatal(err)
	}
	return parseChain(r.t, resp.CertChain)
}

// verify checks chain against bundle at the fake time, as a peer would.
func (r *rotationRig) verify(what string, chain []*x509.Certificate, bundle []byte) {
	r.t.Helper()
	if _, err := verifySVID(r.t, chain, bundle, r.clock.now()); err != nil {
		r.t.Fatalf("%s: %v", what, err)
	}
}

func (r *rotationRig) phase() RotationPhase {
	r.t.Helper()
	p, err := r.ca.RotationPhase(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// syncUntil syncs until the phase is want: the propagation check waits for
// the publisher to rewrite every namespace's ConfigMap.
func (r *rotationRig) syncUntil(want RotationPhase) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for r.ca.Sync(context.Background()); r.phase() != want; r.ca.Sync(context.Background()) {
		if time.Now().After(deadline) {
			r.t.Fatalf("rotation stuck in %s, want %s", r.phase(), want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitConfigMap waits until the rig's namespace publishes bundle.
func (r *rotationRig) waitConfigMap(bundle []byte) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		cm, err := r.env.Client.CoreV1().ConfigMaps(r.ns).Get(context.Background(), RootCertConfigMap, metav1.GetOptions{})
		if err == nil && cm.Data[RootCertKey] == string(bundle) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("istio-ca-root-cert in %s never held the expected bundle (last error %v)", r.ns, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
