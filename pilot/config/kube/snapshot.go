package kube

import (
	"context"
	"log/slog"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/validation"
)

// publish builds a snapshot from the caches, keeps each invalid resource's
// last accepted version, and hands the result on if it changed.
func (s *Source) publish(onChange func(*config.Snapshot)) {
	candidate := s.candidate()
	s.mu.Lock()
	prev := s.accepted
	accepted, errs := validation.AcceptSnapshot(prev, candidate)
	s.accepted, s.errs = accepted, errs
	s.logNewErrors(errs)
	s.mu.Unlock()
	if hook := s.onPublish.Load(); hook != nil {
		(*hook)()
	}
	if prev != nil && prev.Equal(accepted) {
		return
	}
	onChange(accepted)
}

func (s *Source) candidate() *config.Snapshot {
	b := config.NewBuilder()
	for _, k := range config.KindInfos() {
		inf, ok := s.informers[k.Name]
		if !ok {
			continue
		}
		for _, obj := range inf.GetStore().List() {
			if r, ok := obj.(config.Resource); ok {
				_ = b.Add(config.Object{Resource: r}) // the API server guarantees unique names
			}
		}
	}
	return b.Finish()
}

// logNewErrors logs each distinct error once, not on every rebuild.
func (s *Source) logNewErrors(errs []*config.Error) {
	now := make(map[string]bool, len(errs))
	for _, e := range errs {
		msg := e.Error()
		now[msg] = true
		if !s.logged[msg] {
			s.log.LogAttrs(context.Background(), slog.LevelError, "config error", e.Attrs()...)
		}
	}
	s.logged = now
}
