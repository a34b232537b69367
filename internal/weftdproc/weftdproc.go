// Package weftdproc runs a weftd binary as a child process: it picks free
// loopback ports, passes file- or Kubernetes-mode flags, waits until weftd
// is ready and stops it. It is the one place that execs weftd; the demo, the
// load tool and the test harness (tests/harness) all start weftd through it.
package weftdproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Default bounds for starting and stopping weftd.
const (
	DefaultReadyTimeout = 30 * time.Second
	DefaultStopTimeout  = 10 * time.Second
)

// Options say how to run one weftd. Zero values give file mode on free
// 127.0.0.1 ports with weftd's own defaults for everything else.
type Options struct {
	Binary string // path of the weftd binary (required)
	// ConfigDir is file mode's directory; Kubeconfig switches to Kubernetes
	// mode instead (--kubeconfig, no --config-dir).
	ConfigDir  string
	Kubeconfig string
	// CAPluginDir turns on the secure port in file mode (--ca-plugin-dir).
	CAPluginDir string
	Namespace   string // --namespace; "" keeps weftd's default
	LogLevel    string // --log-level; "" keeps weftd's default
	// XDSAddr, DebugAddr and SecureAddr default to free 127.0.0.1 ports.
	// SecureAddr is passed only in Kubernetes mode or with CAPluginDir.
	XDSAddr, DebugAddr, SecureAddr string
	ExtraArgs                      []string  // appended after the flags above
	Env                            []string  // added to the inherited environment
	Output                         io.Writer // weftd's stdout and stderr; nil discards
	ReadyTimeout                   time.Duration
	StopTimeout                    time.Duration
}

// Process is a running weftd.
type Process struct {
	XDSAddr, DebugAddr string
	SecureAddr         string // "" when weftd serves no secure port
	ConfigDir          string
	opts               Options
	args               []string
	cmd                *exec.Cmd
	exited             chan struct{}
	exitErr            error
}

// Start launches weftd and waits (bounded by ctx and ReadyTimeout) until it
// is ready; on failure the process is stopped.
func Start(ctx context.Context, opts Options) (*Process, error) {
	if opts.Binary == "" {
		return nil, errors.New("weftd: no binary given")
	}
	for attempt := 1; ; attempt++ {
		p, race, err := start(ctx, opts)
		// A port found free can be taken before weftd binds it (by any
		// process's outgoing connection); new ports are picked then.
		if err == nil || !race.lost() || attempt == 3 {
			return p, err
		}
	}
}

func start(ctx context.Context, opts Options) (*Process, *portRace, error) {
	race := &portRace{w: opts.Output}
	opts.Output = race
	p := &Process{ConfigDir: opts.ConfigDir, opts: opts}
	if err := p.pickAddrs(); err != nil {
		return nil, race, err
	}
	p.args = p.flags()
	if err := p.launch(ctx); err != nil {
		return nil, race, err
	}
	return p, race, nil
}

// portRace passes weftd's output on and notes a bind that failed.
type portRace struct {
	w    io.Writer
	mu   sync.Mutex
	seen bool
}

func (r *portRace) Write(b []byte) (int, error) {
	r.mu.Lock()
	r.seen = r.seen || bytes.Contains(b, []byte("address already in use"))
	r.mu.Unlock()
	if r.w == nil {
		return len(b), nil
	}
	return r.w.Write(b)
}

func (r *portRace) lost() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen
}

// servesSecure: weftd serves the secure port in Kubernetes mode, and in file
// mode only with a plug-in CA.
func (o Options) servesSecure() bool { return o.Kubeconfig != "" || o.CAPluginDir != "" }

// pickAddrs fills unset addresses with free loopback ports.
func (p *Process) pickAddrs() error {
	p.XDSAddr, p.DebugAddr = p.opts.XDSAddr, p.opts.DebugAddr
	addrs := []*string{&p.XDSAddr, &p.DebugAddr}
	if p.opts.servesSecure() {
		p.SecureAddr = p.opts.SecureAddr
		addrs = append(addrs, &p.SecureAddr)
	}
	for _, a := range addrs {
		if *a != "" {
			continue
		}
		free, err := FreeAddr()
		if err != nil {
			return err
		}
		*a = free
	}
	return nil
}

// flags are weftd's command line for the options and the chosen ports.
func (p *Process) flags() []string {
	o := p.opts
	args := []string{"--config-dir", o.ConfigDir}
	if o.Kubeconfig != "" {
		args = []string{"--kubeconfig", o.Kubeconfig}
	} else if o.CAPluginDir != "" {
		args = append(args, "--ca-plugin-dir", o.CAPluginDir)
	}
	if p.SecureAddr != "" {
		args = append(args, "--secure-addr", p.SecureAddr)
	}
	args = append(args, "--xds-addr", p.XDSAddr, "--debug-addr", p.DebugAddr)
	args = appendIf(args, "--namespace", o.Namespace)
	args = appendIf(args, "--log-level", o.LogLevel)
	return append(args, o.ExtraArgs...)
}

func appendIf(args []string, flag, value string) []string {
	if value == "" {
		return args
	}
	return append(args, flag, value)
}

// launch starts the process on p's flags and waits until it is ready.
func (p *Process) launch(ctx context.Context) error {
	out := p.opts.Output
	if out == nil {
		out = io.Discard
	}
	p.exited = make(chan struct{})
	p.cmd = exec.Command(p.opts.Binary, p.args...)
	p.cmd.Env = append(os.Environ(), p.opts.Env...)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.SysProcAttr = childAttrs()
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start weftd %s: %w", p.opts.Binary, err)
	}
	cmd, exited := p.cmd, p.exited
	go func() { p.exitErr = cmd.Wait(); close(exited) }()
	ctx, cancel := context.WithTimeout(ctx, orDefault(p.opts.ReadyTimeout, DefaultReadyTimeout))
	defer cancel()
	if err := p.WaitReady(ctx); err != nil {
		_ = p.Stop()
		return err
	}
	return nil
}

// Restart stops weftd (SIGTERM) and starts a new one with the same flags,
// ports and config dir, returning once the new one is ready.
func (p *Process) Restart(ctx context.Context) error {
	_ = p.Stop()
	if err := waitPortsFree(ctx, p.XDSAddr, p.SecureAddr); err != nil {
		return fmt.Errorf("restart weftd: %w", err)
	}
	if err := p.launch(ctx); err != nil {
		return fmt.Errorf("restart weftd: %w", err)
	}
	return nil
}

// Stop sends SIGTERM, kills weftd if it has not exited after StopTimeout,
// and returns its exit error (nil after a clean shutdown).
func (p *Process) Stop() error {
	select {
	case <-p.exited:
		return p.exitErr
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(orDefault(p.opts.StopTimeout, DefaultStopTimeout)):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("weftd ignored SIGTERM for %v and was killed: %w", orDefault(p.opts.StopTimeout, DefaultStopTimeout), p.exitErr)
	}
	return p.exitErr
}

// Exited is closed once the current weftd process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// ExitErr is the process's exit error; valid once Exited is closed.
func (p *Process) ExitErr() error { return p.exitErr }

// PID is the current weftd process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Args are the flags weftd was started with.
func (p *Process) Args() []string { return p.args }

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
