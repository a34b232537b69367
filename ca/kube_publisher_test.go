package ca

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRootConfigMapPublished: every namespace gets istio-ca-root-cert, and a
// deleted or edited copy is restored.
func TestRootConfigMapPublished(t *testing.T) {
	r := newRotationRig(t)
	bundle := r.ca.RootBundle()
	r.waitConfigMap(bundle)
	cms := r.env.Client.CoreV1().ConfigMaps(r.ns)
	ctx := context.Background()
	if err := cms.Delete(ctx, RootCertConfigMap, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	r.waitConfigMap(bundle)
	cm, err := cms.Get(ctx, RootCertConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data[RootCertKey] = "tampered"
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r.waitConfigMap(bundle)
	// A namespace created after start gets it too.
	other := &rotationRig{t: t, env: r.env, ns: r.env.Namespace(t)}
	other.waitConfigMap(bundle)
}

// TestRotationWaitsForPropagation: past the propagation delay, the switch
// to the new root still waits until every namespace holds the two-root
// bundle (here: until the publisher runs at all).
func TestRotationWaitsForPropagation(t *testing.T) {
	env := kubeEnv(t)
	ns := env.Namespace(t)
	clock := &fakeClock{t: time.Now()}
	s := newKubeCA(t, env, ns, func(o *Options) {
		o.Clock, o.SyncInterval, o.DisableRootConfigMaps = clock.now, time.Hour, false
	})
	ctx := context.Background()
	if err := s.StartRotation(ctx); err != nil {
		t.Fatal(err)
	}
	clock.advance(24 * time.Hour)
	s.Sync(ctx)
	if p, _ := s.RotationPhase(ctx); p != PhaseTrustNew {
		t.Fatalf("switched to %s before the bundle reached any namespace", p)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.Run(runCtx)
	r := &rotationRig{t: t, env: env, ns: ns, clock: clock, ca: s}
	r.syncUntil(PhaseSignNew)
}
