package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/weftmesh/weft/internal/weftdproc"
)

// weftd is the control-plane subprocess and the file its output goes to.
type weftd struct {
	*weftdproc.Process
	logFile *os.File
}

// startWeftd launches weftd and waits (bounded) until it is ready.
func startWeftd(ctx context.Context, o options) (*weftd, error) {
	w := &weftd{}
	out, err := w.output(o.weftdLog)
	if err != nil {
		return nil, err
	}
	w.Process, err = weftdproc.Start(ctx, weftdproc.Options{Binary: o.weftd, ConfigDir: o.configDir,
		XDSAddr: o.xdsAddr, DebugAddr: o.debugAddr, Output: out, ReadyTimeout: 30 * time.Second})
	if err != nil {
		w.closeLog()
		return nil, fmt.Errorf("%w (is %s built? `make build`)", err, o.weftd)
	}
	fmt.Printf("demo: weftd pid %d, xDS %s, debug http://%s/debug/syncz\n", w.PID(), w.XDSAddr, w.DebugAddr)
	return w, nil
}

// output returns where weftd's logs go: stderr for "-", else a file.
func (w *weftd) output(dst string) (io.Writer, error) {
	if dst == "-" || dst == "" {
		return os.Stderr, nil
	}
	f, err := os.Create(dst)
	if err != nil {
		return nil, fmt.Errorf("weftd log: %w", err)
	}
	w.logFile = f
	return f, nil
}

// stop stops weftd (SIGTERM, then SIGKILL after 10s) and closes its log.
func (w *weftd) stop() {
	if err := w.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "demo: weftd:", err)
	}
	w.closeLog()
}

func (w *weftd) closeLog() {
	if w.logFile != nil {
		w.logFile.Close()
	}
}
