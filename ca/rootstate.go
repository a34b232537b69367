package ca

import (
	"crypto/x509"
	"time"
)

// RotationPhase is where a root rotation stands. The phases are Istio's
// documented manual procedure, run by weftd itself:
//
//	Stable   → one root signs and is trusted.
//	TrustNew → a new root is added to the trust bundle; the old one still
//	           signs, so nothing issued yet needs the new root.
//	SignNew  → once the bundle has propagated, the new root signs; the old
//	           root stays trusted for leaves it signed that are still valid.
//	Stable   → after the longest leaf lifetime, the old root is dropped.
type RotationPhase string

const (
	PhaseStable   RotationPhase = "Stable"
	PhaseTrustNew RotationPhase = "TrustNew"
	PhaseSignNew  RotationPhase = "SignNew"
)

// RootState is the self-signed root of trust as persisted in the root Secret:
// the root that signs, plus the second root of an ongoing rotation.
type RootState struct {
	// Current signs leaves.
	Current *Material
	// Next is the root being introduced (TrustNew only): trusted, not yet signing.
	Next *Material
	// Previous is the retired root (SignNew only): trusted, no longer signing.
	Previous *x509.Certificate
	Phase    RotationPhase
	// Since is when Phase began; phase deadlines count from it.
	Since time.Time
	// RotateRequested is an operator's request (Secret annotation) to start
	// a rotation; it is cleared when the rotation starts.
	RotateRequested bool
}

// Bundle is the trust bundle of this state: the signing root first, then the
// root being introduced or retired.
func (s *RootState) Bundle() []*x509.Certificate {
	roots := []*x509.Certificate{s.Current.Cert}
	if s.Next != nil {
		roots = append(roots, s.Next.Cert)
	}
	if s.Previous != nil {
		roots = append(roots, s.Previous)
	}
	return roots
}

// SigningMaterial is what the Authority signs with in this state.
func (s *RootState) SigningMaterial() *Material {
	return &Material{Cert: s.Current.Cert, Key: s.Current.Key, Roots: s.Bundle()}
}

// clone returns a shallow copy that transitions can change freely.
func (s *RootState) clone() *RootState {
	c := *s
	return &c
}
