package ca

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestStateRoundTrip: every phase survives the Secret encoding.
func TestStateRoundTrip(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	a, _ := NewSelfSignedRoot(DefaultTrustDomain, now, time.Hour*24)
	b, _ := NewSelfSignedRoot(DefaultTrustDomain, now, time.Hour*24)
	for _, st := range []*RootState{
		{Current: a, Phase: PhaseStable, Since: now},
		{Current: a, Next: b, Phase: PhaseTrustNew, Since: now},
		{Current: b, Previous: a.Cert, Phase: PhaseSignNew, Since: now},
	} {
		sec := &corev1.Secret{}
		if err := encodeState(st, sec); err != nil {
			t.Fatal(err)
		}
		got, err := decodeState(sec)
		if err != nil {
			t.Fatalf("%s: %v", st.Phase, err)
		}
		if got.Phase != st.Phase || !got.Since.Equal(st.Since) || len(got.Bundle()) != len(st.Bundle()) ||
			!got.SigningMaterial().Cert.Equal(st.SigningMaterial().Cert) {
			t.Fatalf("%s: round trip changed the state", st.Phase)
		}
	}
}

// TestAbortTrustNew: the documented abort (phase annotation back to Stable)
// drops the new root from the bundle even if its keys are left behind.
func TestAbortTrustNew(t *testing.T) {
	now := time.Now()
	a, _ := NewSelfSignedRoot(DefaultTrustDomain, now, time.Hour*24)
	b, _ := NewSelfSignedRoot(DefaultTrustDomain, now, time.Hour*24)
	sec := &corev1.Secret{}
	if err := encodeState(&RootState{Current: a, Next: b, Phase: PhaseTrustNew, Since: now}, sec); err != nil {
		t.Fatal(err)
	}
	sec.Annotations[AnnotationPhase] = string(PhaseStable)
	got, err := decodeState(sec)
	if err != nil || len(got.Bundle()) != 1 || !got.Bundle()[0].Equal(a.Cert) {
		t.Fatalf("abort: bundle %d roots, %v", len(got.Bundle()), err)
	}
}

func TestIdentityFromUsername(t *testing.T) {
	id, err := IdentityFromUsername("system:serviceaccount:shop:cart")
	if err != nil || id != (Identity{Namespace: "shop", ServiceAccount: "cart"}) {
		t.Fatalf("%v %v", id, err)
	}
	for _, bad := range []string{"alice", "system:serviceaccount:shop", "system:serviceaccount::x", "system:serviceaccount:a:b:c", "system:node:n1"} {
		if _, err := IdentityFromUsername(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
