package cert_test

import (
	"context"
	"log/slog"
)

// errorCatcher is a slog handler that forwards the "err" attribute of the
// first failure it sees, so a test can observe why an attempt failed.
type errorCatcher struct{ errs chan<- error }

func newErrorCatcher(errs chan<- error) *slog.Logger { return slog.New(errorCatcher{errs}) }

func (errorCatcher) Enabled(context.Context, slog.Level) bool { return true }
func (h errorCatcher) WithAttrs([]slog.Attr) slog.Handler     { return h }
func (h errorCatcher) WithGroup(string) slog.Handler          { return h }

func (h errorCatcher) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && a.Key == "err" {
			select {
			case h.errs <- err:
			default:
			}
		}
		return true
	})
	return nil
}
