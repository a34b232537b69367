package weftdproc

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeEnv makes the re-executed test binary play weftd: it serves
// /debug/syncz on --debug-addr (and accepts on --secure-addr) until SIGTERM,
// or exits at once with --fail.
const fakeEnv = "WEFTDPROC_FAKE_WEFTD"

func TestMain(m *testing.M) {
	if os.Getenv(fakeEnv) == "1" {
		os.Exit(fakeWeftd(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeWeftd(args []string) int {
	fs := flag.NewFlagSet("fake", flag.ContinueOnError)
	debug, secure := fs.String("debug-addr", "", ""), fs.String("secure-addr", "", "")
	fail := fs.Bool("fail", false, "")
	for _, f := range []string{"xds-addr", "config-dir", "kubeconfig", "ca-plugin-dir", "namespace", "log-level"} {
		fs.String(f, "", "")
	}
	if err := fs.Parse(args); err != nil || *fail {
		return 3
	}
	http.HandleFunc("/debug/syncz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "[]") })
	for _, addr := range []string{*debug, *secure} {
		if addr == "" {
			continue
		}
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			return 1
		}
		go http.Serve(lis, nil)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	select {
	case <-sig:
		return 0
	case <-time.After(time.Minute): // never outlive the test for long
		return 4
	}
}

func fakeOptions(o Options) Options {
	o.Binary, o.Env = os.Args[0], []string{fakeEnv + "=1"}
	return o
}

func TestStartRestartStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := Start(ctx, fakeOptions(Options{ConfigDir: t.TempDir(), CAPluginDir: "/ca", Namespace: "weft-system"}))
	if err != nil {
		t.Fatal(err)
	}
	if p.SecureAddr == "" || !slices.Contains(p.Args(), "--ca-plugin-dir") || !slices.Contains(p.Args(), "weft-system") {
		t.Errorf("args %v, secure %q: want the plug-in CA, the secure port and the namespace", p.Args(), p.SecureAddr)
	}
	first, addrs := p.PID(), [3]string{p.XDSAddr, p.DebugAddr, p.SecureAddr}
	if err := p.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if p.PID() == first || addrs != [3]string{p.XDSAddr, p.DebugAddr, p.SecureAddr} {
		t.Errorf("restart: pid %d → %d, addrs %v → %v; want a new process on the same ports", first, p.PID(), addrs, p)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop after SIGTERM: %v, want a clean exit", err)
	}
}

func TestKubernetesModeFlags(t *testing.T) {
	p := &Process{opts: Options{Kubeconfig: "/k", ConfigDir: "/ignored"}}
	if err := p.pickAddrs(); err != nil {
		t.Fatal(err)
	}
	args := strings.Join(p.flags(), " ")
	if !strings.HasPrefix(args, "--kubeconfig /k --secure-addr 127.0.0.1:") || strings.Contains(args, "--config-dir") {
		t.Errorf("flags %q: want Kubernetes mode with a secure port and no config dir", args)
	}
}

func TestExitBeforeReady(t *testing.T) {
	_, err := Start(context.Background(), fakeOptions(Options{ExtraArgs: []string{"--fail"}}))
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Fatalf("err = %v, want exited before ready", err)
	}
}
