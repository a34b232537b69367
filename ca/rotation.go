package ca

import (
	"fmt"
	"time"
)

// RotationOptions times a root rotation; zero values take the defaults.
type RotationOptions struct {
	// PropagationDelay is the least time TrustNew lasts, so that kubelets
	// refresh mounted istio-ca-root-cert ConfigMaps (about a minute) and
	// workloads reload them, before anything signed by the new root shows
	// up. Default 15m.
	PropagationDelay time.Duration
	// Grace is added to the max TTL before the old root is dropped: covers
	// replicas that signed with the old root a little after the switch
	// (they notice it within one sync interval) and clock skew. Default 1h.
	Grace time.Duration
	// RotateBefore starts a rotation on its own when the signing root has
	// less than this left. Default 1 year (roots live 10); negative
	// disables it, leaving only requested rotations.
	RotateBefore time.Duration
	// RootLifetime is the new root's validity. Default DefaultRootLifetime.
	RootLifetime time.Duration
}

func (o RotationOptions) withDefaults() RotationOptions {
	if o.PropagationDelay == 0 {
		o.PropagationDelay = 15 * time.Minute
	}
	if o.Grace == 0 {
		o.Grace = time.Hour
	}
	if o.RotateBefore == 0 {
		o.RotateBefore = 365 * 24 * time.Hour
	}
	if o.RootLifetime == 0 {
		o.RootLifetime = DefaultRootLifetime
	}
	return o
}

// rotationPlan decides phase transitions. It is pure apart from generating
// keys, so every replica reaches the same decision from the same Secret.
type rotationPlan struct {
	opts        RotationOptions
	maxTTL      time.Duration
	trustDomain string
}

// advance returns the next state, or nil when s stays as it is. propagated
// reports whether every published bundle already holds s.Bundle().
func (p rotationPlan) advance(s *RootState, now time.Time, propagated bool) (*RootState, error) {
	switch s.Phase {
	case PhaseStable, "":
		if s.RotateRequested || p.rootExpiring(s, now) {
			return p.trustNew(s, now)
		}
	case PhaseTrustNew:
		if now.Sub(s.Since) >= p.opts.PropagationDelay && propagated {
			return p.signNew(s, now), nil
		}
	case PhaseSignNew:
		if now.Sub(s.Since) >= p.maxTTL+p.opts.Grace {
			return p.dropOld(s, now), nil
		}
	default:
		return nil, fmt.Errorf("unknown rotation phase %q", s.Phase)
	}
	return nil, nil
}

func (p rotationPlan) rootExpiring(s *RootState, now time.Time) bool {
	return p.opts.RotateBefore > 0 && s.Current.Cert.NotAfter.Sub(now) < p.opts.RotateBefore
}

// trustNew is step 1: generate the new root and add it to the bundle.
func (p rotationPlan) trustNew(s *RootState, now time.Time) (*RootState, error) {
	next, err := NewSelfSignedRoot(p.trustDomain, now, p.opts.RootLifetime)
	if err != nil {
		return nil, fmt.Errorf("rotation: %w", err)
	}
	n := s.clone()
	n.Next, n.Phase, n.Since, n.RotateRequested = next, PhaseTrustNew, now, false
	return n, nil
}

// signNew is step 2: the new root signs; the old one stays trusted.
func (p rotationPlan) signNew(s *RootState, now time.Time) *RootState {
	n := s.clone()
	n.Previous, n.Current, n.Next = s.Current.Cert, s.Next, nil
	n.Phase, n.Since = PhaseSignNew, now
	return n
}

// dropOld is step 3: every leaf of the old root has expired; forget it.
func (p rotationPlan) dropOld(s *RootState, now time.Time) *RootState {
	n := s.clone()
	n.Previous, n.Phase, n.Since = nil, PhaseStable, now
	return n
}
