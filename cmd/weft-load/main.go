// Command weft-load simulates N xDS proxies against a weftd on loopback,
// changes one VirtualService weight and prints how long the change took to
// reach every proxy (p50/p90/p99/max), with weftd's RSS and CPU time.
//
//	weft-load --weftd bin/weftd --services 100 --proxies 1000     # starts its own weftd
//	weft-load --xds-addr 127.0.0.1:15010 --debug-addr 127.0.0.1:15014 \
//	          --config-dir DIR --services 100 --proxies 1000 --weftd-pid PID
//
// With --config-dir the tool writes its synthetic mesh into the directory
// the running weftd watches (file mode) and changes it there; without it
// only the initial sync is measured.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/weftmesh/weft/tests/load"
)

type flags struct {
	xdsAddr, debugAddr string
	weftd, configDir   string
	weftdPID           int
	proxies, services  int
	kind               string
	delta, mix         bool
	jsonOut            bool
	duration, timeout  time.Duration
}

func parseFlags(args []string) (flags, error) {
	var f flags
	fl := flag.NewFlagSet("weft-load", flag.ContinueOnError)
	fl.StringVar(&f.xdsAddr, "xds-addr", "127.0.0.1:15010", "weftd plaintext ADS address (loopback only)")
	fl.StringVar(&f.debugAddr, "debug-addr", "127.0.0.1:15014", "weftd debug address (/metrics)")
	fl.StringVar(&f.weftd, "weftd", "", "start this weftd binary on a generated mesh instead of using a running one")
	fl.StringVar(&f.configDir, "config-dir", "", "running weftd's config dir: write the mesh and the change there")
	fl.IntVar(&f.weftdPID, "weftd-pid", 0, "read weftd RSS/CPU from /proc/PID (default: from /metrics)")
	fl.IntVar(&f.proxies, "proxies", 100, "simulated proxies, one ADS stream and connection each")
	fl.IntVar(&f.services, "services", 100, "services in the generated mesh")
	fl.StringVar(&f.kind, "kind", "mixed", "sidecar, grpc or mixed")
	fl.BoolVar(&f.delta, "delta", false, "use incremental (delta) ADS instead of state of the world")
	fl.BoolVar(&f.mix, "mix-transports", false, "put every other pair of proxies on delta ADS, the rest on SotW")
	fl.BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	fl.DurationVar(&f.duration, "duration", 0, "keep the proxies connected this long after converging")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "bound on the initial sync and on convergence")
	if err := fl.Parse(args); err != nil {
		return f, err
	}
	switch load.Kind(f.kind) {
	case load.KindSidecar, load.KindGRPC, load.KindMixed:
	default:
		return f, fmt.Errorf("--kind %q: want sidecar, grpc or mixed", f.kind)
	}
	return f, nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "weft-load:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	f, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sc := load.Scenario{XDSAddr: f.xdsAddr, DebugAddr: f.debugAddr, WeftdPID: f.weftdPID, Proxies: f.proxies,
		Kind: load.Kind(f.kind), Delta: f.delta, MixTransports: f.mix, MeshDir: f.configDir, Services: f.services, Timeout: f.timeout,
		Hold: f.duration, Log: os.Stderr}
	if f.weftd != "" {
		w, cleanup, err := startWeftd(ctx, f)
		if err != nil {
			return err
		}
		defer cleanup()
		sc.XDSAddr, sc.DebugAddr, sc.WeftdPID, sc.MeshDir = w.XDSAddr, w.DebugAddr, w.PID(), w.ConfigDir
	} else if f.configDir != "" {
		if err := prepareMesh(ctx, f); err != nil {
			return err
		}
	}
	r, err := sc.Run(ctx)
	if err != nil {
		return err
	}
	if f.jsonOut {
		return r.WriteJSON(os.Stdout)
	}
	return r.WriteTable(os.Stdout)
}

// startWeftd generates the mesh and starts weftd on it.
func startWeftd(ctx context.Context, f flags) (*load.Weftd, func(), error) {
	dir, err := load.TempMeshDir(f.services)
	if err != nil {
		return nil, nil, err
	}
	w, err := load.StartWeftd(ctx, f.weftd, dir, os.Stderr)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	fmt.Fprintf(os.Stderr, "weftd pid %d on %s (%d services)\n", w.PID(), dir, f.services)
	return w, func() { w.Stop(); os.RemoveAll(dir) }, nil
}

// prepareMesh writes the mesh into a running weftd's config dir and gives
// its debounce time to apply it before proxies connect.
func prepareMesh(ctx context.Context, f flags) error {
	if _, err := load.WriteMesh(f.configDir, load.MeshOptions(f.services)); err != nil {
		return err
	}
	select {
	case <-time.After(3 * time.Second):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
