package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// weftd is the control-plane subprocess.
type weftd struct {
	cmd       *exec.Cmd
	xdsAddr   string
	debugAddr string
	logFile   *os.File
	exited    chan struct{}
	exitErr   error
}

// startWeftd launches weftd and waits (bounded) until its debug endpoint answers.
func startWeftd(ctx context.Context, o options) (*weftd, error) {
	w := &weftd{xdsAddr: o.xdsAddr, debugAddr: o.debugAddr, exited: make(chan struct{})}
	if err := w.pickAddrs(); err != nil {
		return nil, err
	}
	out, err := w.output(o.weftdLog)
	if err != nil {
		return nil, err
	}
	w.cmd = exec.Command(o.weftd, "--config-dir", o.configDir, "--xds-addr", w.xdsAddr, "--debug-addr", w.debugAddr)
	w.cmd.Stdout, w.cmd.Stderr = out, out
	w.cmd.SysProcAttr = childAttrs()
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start weftd (%s; build it with `make build`?): %w", o.weftd, err)
	}
	go func() { w.exitErr = w.cmd.Wait(); close(w.exited) }()
	fmt.Printf("demo: weftd pid %d, xDS %s, debug http://%s/debug/syncz\n", w.cmd.Process.Pid, w.xdsAddr, w.debugAddr)
	if err := w.waitReady(ctx, 30*time.Second); err != nil {
		w.stop()
		return nil, err
	}
	return w, nil
}

// pickAddrs fills unset addresses with free loopback ports.
func (w *weftd) pickAddrs() error {
	for _, a := range []*string{&w.xdsAddr, &w.debugAddr} {
		if *a != "" {
			continue
		}
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("free port: %w", err)
		}
		*a = lis.Addr().String()
		lis.Close()
	}
	return nil
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

// waitReady polls /debug/syncz until it answers 200.
func (w *weftd) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		if resp, err := client.Get("http://" + w.debugAddr + "/debug/syncz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-w.exited:
			return fmt.Errorf("weftd exited during startup: %v", w.exitErr)
		case <-ctx.Done():
			return fmt.Errorf("weftd debug endpoint %s not ready: %w", w.debugAddr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and kills weftd if it has not exited after 10s.
func (w *weftd) stop() {
	defer func() {
		if w.logFile != nil {
			w.logFile.Close()
		}
	}()
	select {
	case <-w.exited:
		return
	default:
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.exited:
	case <-time.After(10 * time.Second):
		fmt.Fprintln(os.Stderr, "demo: weftd ignored SIGTERM for 10s; killing it")
		_ = w.cmd.Process.Kill()
		<-w.exited
	}
}
