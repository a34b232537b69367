package bootstrap_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/grpclog"
	"google.golang.org/grpc/xds"
)

// warnings collects grpc-go's warning and error logs.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) add(args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, fmt.Sprint(args...))
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}

var grpcWarnings = &warnings{}

type captureLogger struct{ w *warnings }

func (captureLogger) Info(...any)                   {}
func (captureLogger) Infoln(...any)                 {}
func (captureLogger) Infof(string, ...any)          {}
func (c captureLogger) Warning(a ...any)            { c.w.add(a...) }
func (c captureLogger) Warningln(a ...any)          { c.w.add(a...) }
func (c captureLogger) Warningf(f string, a ...any) { c.w.add(fmt.Sprintf(f, a...)) }
func (c captureLogger) Error(a ...any)              { c.w.add(a...) }
func (c captureLogger) Errorln(a ...any)            { c.w.add(a...) }
func (c captureLogger) Errorf(f string, a ...any)   { c.w.add(fmt.Sprintf(f, a...)) }
func (c captureLogger) Fatal(a ...any)              { c.w.add(a...); os.Exit(1) }
func (c captureLogger) Fatalln(a ...any)            { c.w.add(a...); os.Exit(1) }
func (c captureLogger) Fatalf(f string, a ...any)   { c.w.add(fmt.Sprintf(f, a...)); os.Exit(1) }
func (captureLogger) V(int) bool                    { return false }

func TestMain(m *testing.M) {
	// Before any other gRPC use: SetLoggerV2 is not synchronized.
	grpclog.SetLoggerV2(captureLogger{grpcWarnings})
	os.Exit(m.Run())
}

// grpcParse has grpc-go parse bs as a server would and returns its complaint.
func grpcParse(bs []byte) error {
	grpcWarnings.take()
	_ = xds.BootstrapContentsForTesting(bs)
	for _, msg := range grpcWarnings.take() {
		if strings.Contains(msg, "bootstrap") {
			return errors.New(msg)
		}
	}
	return nil
}
