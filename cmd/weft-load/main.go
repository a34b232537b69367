// Command weft-load simulates N xDS proxies against a weftd on loopback,
// applies one config change and prints how long the change took to reach
// every proxy (p50/p90/p99/max), with weftd's RSS and CPU time.
//
//	weft-load --weftd bin/weftd --services 100 --proxies 1000     # starts its own weftd
//	weft-load --weftd bin/weftd --scenario S1 --change endpoint   # the S1, one endpoint added
//	weft-load --weftd bin/weftd --scenario S2 --restart           # restart weftd, measure reconnection
//	weft-load --xds-addr 127.0.0.1:15010 --debug-addr 127.0.0.1:15014 \
//	          --config-dir DIR --services 100 --proxies 1000 --weftd-pid PID
//
// --change is weight (svc-0's VirtualService v2 weight 10 → 60, the
// default), endpoint (one more pod IP in svc-0's EndpointSlice) or service
// (a new service svc-N in ns-0, in its own file; proxyless proxies watch its
// listener name from the start, so they see it appear). --scenario S1 is
// 1000 services and 2000 proxies, S2 1000 services and 10,000 proxies;
// --services and --proxies override a preset. --scope (default on for
// presets) adds one Sidecar per namespace limiting egress to "./*" and
// "ns-0/*". --restart (only with --weftd) restarts weftd after the initial
// sync instead of changing the config and reports reconnection times.
//
// --tls connects every proxy over mutual TLS, as sidecars reach istiod's
// 15012: with --weftd the tool writes a plug-in CA (root and intermediate)
// and starts weftd with --ca-plugin-dir and --secure-addr; against a running
// weftd, --ca-plugin-dir names its plug-in CA and --xds-addr its secure
// port. Each proxy gets its own ECDSA P-256 certificate for
// spiffe://cluster.local/ns/NS/sa/load-KIND, all issued before the first
// proxy connects, so signing is never part of the measured sync.
//
//	weft-load --weftd bin/weftd --scenario S1 --tls                  # S1 over mutual TLS
//
// --connect-parallelism (default 32) is how many proxies connect at once.
// --preconnect opens every connection before any stream, so the initial
// sync measures ADS alone and the report gives the connecting time apart:
// it separates handshake cost from serving cost.
//
// With --config-dir the tool writes its synthetic mesh into the directory
// the running weftd watches (file mode) and changes it there; without it
// only the initial sync is measured.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/internal/load"
	"github.com/weftmesh/weft/internal/weftdproc"
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
	scenario, change   string
	scope, restart     bool
	entries            bool
	tls                bool
	pluginDir          string
	parallel           int
	preconnect         bool
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
	fl.StringVar(&f.scenario, "scenario", "", "preset: S1 (1000 services, 2000 proxies) or S2 (1000 services, 10000 proxies)")
	fl.StringVar(&f.change, "change", "weight", "the change measured: weight, endpoint or service")
	fl.BoolVar(&f.scope, "scope", false, "one Sidecar per namespace scoping egress to ./* and ns-0/* (default true with --scenario)")
	fl.BoolVar(&f.entries, "service-entries", false, "describe the services as ServiceEntries with inline endpoints instead of Services, EndpointSlices and Pods (default true with --scenario S3)")
	fl.BoolVar(&f.restart, "restart", false, "restart weftd after the initial sync and measure reconnection (needs --weftd)")
	fl.BoolVar(&f.tls, "tls", false, "connect every proxy over mutual TLS to weftd's secure port, each with its own workload certificate")
	fl.StringVar(&f.pluginDir, "ca-plugin-dir", "", "with --tls and no --weftd: the running weftd's plug-in CA dir (signs the proxies' certificates)")
	fl.IntVar(&f.parallel, "connect-parallelism", 32, "proxies connecting at once (a proxy's turn ends once its stream is open, after TCP and TLS)")
	fl.BoolVar(&f.preconnect, "preconnect", false, "open every connection (TCP, TLS, HTTP/2) before any stream, so the sync measures ADS alone")
	if err := fl.Parse(args); err != nil {
		return f, err
	}
	if fl.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments %q", fl.Args())
	}
	set := map[string]bool{}
	fl.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if f.scenario != "" {
		p, ok := load.Presets[strings.ToUpper(f.scenario)]
		if !ok {
			return f, fmt.Errorf("--scenario %q: want S1, S2 or S3", f.scenario)
		}
		f.scenario = p.Name
		if !set["services"] {
			f.services = p.Services
		}
		if !set["proxies"] {
			f.proxies = p.Proxies
		}
		if !set["scope"] {
			f.scope = true
		}
		if !set["kind"] && p.Kind != "" {
			f.kind = string(p.Kind)
		}
		if !set["service-entries"] {
			f.entries = p.ServiceEntries
		}
	}
	if _, err := load.ParseChange(f.change); err != nil {
		return f, fmt.Errorf("--%w", err)
	}
	if f.restart && f.weftd == "" {
		return f, errors.New("--restart needs --weftd (the tool can only restart a weftd it started)")
	}
	if f.restart && set["change"] {
		return f, errors.New("--restart measures reconnection, not a change: drop --change")
	}
	if f.parallel <= 0 {
		return f, fmt.Errorf("--connect-parallelism %d: want at least 1", f.parallel)
	}
	if err := checkTLSFlags(f); err != nil {
		return f, err
	}
	switch load.Kind(f.kind) {
	case load.KindSidecar, load.KindGRPC, load.KindMixed:
	default:
		return f, fmt.Errorf("--kind %q: want sidecar, grpc or mixed", f.kind)
	}
	return f, nil
}

// checkTLSFlags: a running weftd's CA must be named to sign for it; a weftd
// the tool starts gets the tool's own CA.
func checkTLSFlags(f flags) error {
	switch {
	case f.pluginDir != "" && !f.tls:
		return errors.New("--ca-plugin-dir needs --tls")
	case f.pluginDir != "" && f.weftd != "":
		return errors.New("--ca-plugin-dir is for a running weftd: with --weftd the tool writes its own CA")
	case f.tls && f.weftd == "" && f.pluginDir == "":
		return errors.New("--tls against a running weftd needs --ca-plugin-dir (its plug-in CA) and --xds-addr (its secure port)")
	}
	return nil
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
	change, _ := load.ParseChange(f.change) // checked by parseFlags
	sc := load.Scenario{Name: f.scenario, XDSAddr: f.xdsAddr, DebugAddr: f.debugAddr, WeftdPID: f.weftdPID, Proxies: f.proxies,
		Kind: load.Kind(f.kind), Delta: f.delta, MixTransports: f.mix, MeshDir: f.configDir, Services: f.services, Timeout: f.timeout,
		Hold: f.duration, Log: os.Stderr, Change: change, Scope: f.scope, ServiceEntries: f.entries, Restart: f.restart,
		ConnectParallelism: f.parallel, Preconnect: f.preconnect}
	if f.weftd != "" {
		w, pki, cleanup, err := startWeftd(ctx, f)
		if err != nil {
			return err
		}
		defer cleanup()
		sc.XDSAddr, sc.DebugAddr, sc.WeftdPID, sc.MeshDir, sc.Weftd, sc.TLS = w.XDSAddr, w.DebugAddr, w.PID(), w.ConfigDir, w, pki
		if pki != nil {
			sc.XDSAddr = w.SecureAddr
		}
	} else if f.tls {
		if sc.TLS, err = load.LoadPKI(f.pluginDir); err != nil {
			return err
		}
	}
	if f.weftd == "" && f.configDir != "" {
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

// startWeftd generates the mesh (and for --tls a plug-in CA) and starts
// weftd on it; cleanup stops weftd and removes both.
func startWeftd(ctx context.Context, f flags) (*weftdproc.Process, *load.PKI, func(), error) {
	dir, err := load.TempMeshDir(load.MeshOptions(f.services, f.scope, f.entries))
	if err != nil {
		return nil, nil, nil, err
	}
	opts := weftdproc.Options{Binary: f.weftd, ConfigDir: dir, LogLevel: "warn", Output: os.Stderr, ReadyTimeout: time.Minute}
	var pki *load.PKI
	if f.tls {
		if pki, err = newPKI(); err != nil {
			os.RemoveAll(dir)
			return nil, nil, nil, err
		}
		// The secure port in weftd's default namespace, the one its certificate names.
		opts.CAPluginDir, opts.Namespace = pki.Dir, contract.DefaultNamespace
	}
	cleanup := func() { os.RemoveAll(dir); removePKI(pki) }
	w, err := weftdproc.Start(ctx, opts)
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	fmt.Fprintf(os.Stderr, "weftd pid %d on %s (%d services), secure port %q, debug http://%s\n",
		w.PID(), dir, f.services, w.SecureAddr, w.DebugAddr)
	return w, pki, func() { _ = w.Stop(); cleanup() }, nil
}

// newPKI writes a plug-in CA into a temp dir.
func newPKI() (*load.PKI, error) {
	pkiDir, err := os.MkdirTemp("", "weft-load-ca-")
	if err != nil {
		return nil, fmt.Errorf("plug-in CA dir: %w", err)
	}
	pki, err := load.NewPKI(pkiDir)
	if err != nil {
		os.RemoveAll(pkiDir)
		return nil, err
	}
	return pki, nil
}

func removePKI(pki *load.PKI) {
	if pki != nil {
		os.RemoveAll(pki.Dir)
	}
}

// prepareMesh writes the mesh into a running weftd's config dir and gives
// its debounce time to apply it before proxies connect.
func prepareMesh(ctx context.Context, f flags) error {
	if _, err := load.WriteMesh(f.configDir, load.MeshOptions(f.services, f.scope, f.entries)); err != nil {
		return err
	}
	select {
	case <-time.After(3 * time.Second):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
