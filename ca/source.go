package ca

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// rootSource supplies the signing material. sync is called at start and then
// periodically; it returns the material to sign with now.
type rootSource interface {
	sync(ctx context.Context) (*Material, error)
}

// secretSource keeps the root in a Secret and drives rotations through it.
type secretSource struct {
	store      *secretStore
	plan       rotationPlan
	now        func() time.Time
	propagated func(ctx context.Context, bundlePEM []byte) (bool, error)
	onPhase    func(from, to *RootState)
}

// sync reads the Secret (creating it on first use), advances the rotation
// when its phase is due and returns what to sign with. A write conflict means
// another replica advanced first: its state is read on the next sync.
func (s *secretSource) sync(ctx context.Context) (*Material, error) {
	st, sec, err := s.store.loadOrCreate(ctx, s.newState)
	if err != nil {
		return nil, err
	}
	next, err := s.advance(ctx, st)
	if err != nil || next == nil {
		return st.SigningMaterial(), err
	}
	if _, err := s.store.save(ctx, sec, next); err != nil {
		if apierrors.IsConflict(err) {
			return st.SigningMaterial(), nil
		}
		return st.SigningMaterial(), fmt.Errorf("rotation %s→%s: %w", st.Phase, next.Phase, err)
	}
	if s.onPhase != nil {
		s.onPhase(st, next)
	}
	return next.SigningMaterial(), nil
}

func (s *secretSource) newState() (*RootState, error) {
	now := s.now()
	root, err := NewSelfSignedRoot(s.plan.trustDomain, now, s.plan.opts.RootLifetime)
	if err != nil {
		return nil, err
	}
	return &RootState{Current: root, Phase: PhaseStable, Since: now}, nil
}

// advance asks the plan for the next state; the propagation check (a list of
// every namespace's ConfigMap) only runs when TrustNew is otherwise due.
func (s *secretSource) advance(ctx context.Context, st *RootState) (*RootState, error) {
	propagated := true
	due := st.Phase == PhaseTrustNew && s.now().Sub(st.Since) >= s.plan.opts.PropagationDelay
	if due && s.propagated != nil {
		ok, err := s.propagated(ctx, concatPEM(st.Bundle()))
		if err != nil {
			return nil, fmt.Errorf("check trust bundle propagation: %w", err)
		}
		propagated = ok
	}
	return s.plan.advance(st, s.now(), propagated)
}
