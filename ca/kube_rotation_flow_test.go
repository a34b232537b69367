package ca

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// TestRootRotation walks the documented procedure (docs/ca-rotation.md)
// end to end on a real API server with a fake clock:
//
//  1. TrustNew: the new root joins the bundle, the old root still signs;
//  2. SignNew (only once every namespace has the two-root bundle): the new
//     root signs, leaves of the old root still verify;
//  3. Stable: the old root leaves the bundle only after max TTL + grace,
//     when every leaf it signed has expired.
func TestRootRotation(t *testing.T) {
	r := newRotationRig(t)
	oldRoot := r.ca.Authority().Material().Cert
	oldLeaf := r.sign(r.ca)
	r.waitConfigMap(r.ca.RootBundle())

	// Step 1.
	if err := r.ca.StartRotation(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := r.phase(); p != PhaseTrustNew {
		t.Fatalf("phase %s after StartRotation", p)
	}
	twoRoots := r.ca.RootBundle()
	if n := len(r.ca.Authority().Material().Roots); n != 2 {
		t.Fatalf("bundle holds %d roots in TrustNew, want 2", n)
	}
	if leaf := r.sign(r.ca); !leaf[len(leaf)-1].Equal(oldRoot) {
		t.Fatal("TrustNew must still sign with the old root")
	}
	r.verify("old leaf against the two-root bundle", oldLeaf, twoRoots)
	r.waitConfigMap(twoRoots)
	r.ca.Sync(context.Background())
	if p := r.phase(); p != PhaseTrustNew {
		t.Fatalf("switched to %s before the propagation delay", p)
	}

	// Step 2.
	r.clock.advance(RotationOptions{}.withDefaults().PropagationDelay)
	r.syncUntil(PhaseSignNew)
	newLeaf := r.sign(r.ca)
	newRoot := newLeaf[len(newLeaf)-1]
	if newRoot.Equal(oldRoot) {
		t.Fatal("SignNew must sign with the new root")
	}
	r.verify("new leaf against the bundle workloads got in step 1", newLeaf, twoRoots)
	r.verify("old leaf during SignNew", oldLeaf, r.ca.RootBundle())
	if err := r.ca.ServingCertificate().Leaf.CheckSignatureFrom(newRoot); err != nil {
		t.Fatalf("serving certificate not reissued by the new root: %v", err)
	}
	r.replica.Sync(context.Background())
	if leaf := r.sign(r.replica); !leaf[len(leaf)-1].Equal(newRoot) {
		t.Fatal("the other replica must follow the Secret to the new root")
	}

	// Step 3.
	grace := RotationOptions{}.withDefaults().Grace
	r.clock.advance(rigMaxTTL + grace - time.Minute)
	r.ca.Sync(context.Background())
	if p := r.phase(); p != PhaseSignNew {
		t.Fatalf("old root dropped early (phase %s)", p)
	}
	r.clock.advance(2 * time.Minute)
	r.syncUntil(PhaseStable)
	if !r.clock.now().After(oldLeaf[0].NotAfter) {
		t.Fatal("old root dropped while one of its leaves is still valid")
	}
	final := r.ca.RootBundle()
	if bytes.Equal(final, twoRoots) || len(r.ca.Authority().Material().Roots) != 1 {
		t.Fatal("old root still in the bundle after step 3")
	}
	latest := r.sign(r.ca)
	if !latest[len(latest)-1].Equal(newRoot) {
		t.Fatal("Stable must keep signing with the new root")
	}
	r.verify("a leaf after the old root is gone", latest, final)
	r.waitConfigMap(final)
}
