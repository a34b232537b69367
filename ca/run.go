package ca

import (
	"bytes"
	"context"
	"time"
)

// Run keeps the CA current until ctx ends: it re-reads the root (Secret or
// plug-in directory) and advances rotations every SyncInterval, renews the
// serving certificate, and publishes istio-ca-root-cert to every namespace.
// New has already loaded the root, so the CA serves before Run starts.
func (s *Server) Run(ctx context.Context) {
	if s.publisher != nil {
		go s.publisher.run(ctx)
	}
	t := time.NewTicker(s.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Sync(ctx)
		}
	}
}

// Sync runs one round of Run's work now. Errors are logged, not returned:
// the CA keeps signing with the last good material.
func (s *Server) Sync(ctx context.Context) {
	// One sync at a time, so an older read never replaces a newer one.
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	m, err := s.source.sync(ctx)
	if err != nil {
		s.log.Error("reload CA root; signing with the previous one", "err", err)
	}
	if m != nil {
		s.apply(m)
	}
	if err := s.serving.refresh(); err != nil {
		s.log.Error("renew serving certificate", "err", err)
	}
}

// apply swaps in m when it differs from the current material.
func (s *Server) apply(m *Material) {
	cur := s.authority.Material()
	if cur.Cert.Equal(m.Cert) && bytes.Equal(cur.RootsPEM(), m.RootsPEM()) {
		return
	}
	if err := s.authority.SetMaterial(m); err != nil {
		s.log.Error("new CA material refused; signing with the previous one", "err", err)
		return
	}
	s.log.Info("CA material changed", "signer", m.Cert.Subject.String(),
		"signerExpires", m.Cert.NotAfter, "trustedRoots", len(m.Roots))
	if s.publisher != nil {
		s.publisher.setBundle(m.RootsPEM())
	}
}

// StartRotation asks for a root rotation (Kubernetes mode, self-signed root)
// by annotating the root Secret, exactly as `kubectl annotate secret
// weft-ca-root ca.weft.io/rotate=requested` would, then syncs once.
func (s *Server) StartRotation(ctx context.Context) error {
	if s.secrets == nil {
		return errNoRotation
	}
	if err := s.secrets.requestRotation(ctx); err != nil {
		return err
	}
	s.Sync(ctx)
	return nil
}

// RotationPhase reports the persisted rotation phase (Kubernetes mode).
func (s *Server) RotationPhase(ctx context.Context) (RotationPhase, error) {
	if s.secrets == nil {
		return "", errNoRotation
	}
	st, _, err := s.secrets.load(ctx)
	if err != nil {
		return "", err
	}
	return st.Phase, nil
}
