// Command weftd is weft's control plane: it turns Istio mesh config into
// per-proxy xDS and serves it over ADS.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/weftmesh/weft/pilot/bootstrap"
	"github.com/weftmesh/weft/pilot/config/file"
)

type flags struct {
	configDir   string
	kubeconfig  string
	namespace   string
	podName     string
	leaderElect bool
	xdsAddr     string
	debugAddr   string
	quiet       time.Duration
	maxDelay    time.Duration
	logLevel    string
	ca          caFlags
}

func main() {
	if err := command().Execute(); err != nil {
		os.Exit(1)
	}
}

func command() *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "weftd",
		Short: "weft control plane: Istio mesh config in, per-proxy xDS out",
		Long: "weftd serves xDS from Istio mesh config. With --config-dir it reads files (file mode);\n" +
			"otherwise it watches a Kubernetes cluster (--kubeconfig, or in-cluster config).",
		SilenceUsage: true,
		RunE:         func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.configDir, "config-dir", "", "directory of mesh and Kubernetes YAML/JSON to serve (file mode)")
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig for Kubernetes mode; empty means in-cluster config")
	fl.StringVar(&f.namespace, "namespace", envOr("POD_NAMESPACE", "weft-system"), "weftd's own namespace (leader Lease)")
	fl.StringVar(&f.podName, "pod-name", envOr("POD_NAME", hostname()), "this replica's identity in leader election")
	fl.BoolVar(&f.leaderElect, "leader-elect", true, "elect one replica to write resource status (Kubernetes mode)")
	fl.StringVar(&f.xdsAddr, "xds-addr", "127.0.0.1:15010", "plaintext ADS address")
	fl.StringVar(&f.debugAddr, "debug-addr", "127.0.0.1:15014", "debug HTTP address (/debug/syncz, /debug/config_dump, /metrics)")
	fl.DurationVar(&f.quiet, "debounce-quiet", 100*time.Millisecond, "push once config has been quiet this long")
	fl.DurationVar(&f.maxDelay, "debounce-max", time.Second, "push at the latest this long after the first change")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.StringVar(&f.ca.addr, "ca-addr", "127.0.0.1:15012", "CA address (TLS, Kubernetes mode); empty disables the CA")
	fl.StringVar(&f.ca.pluginDir, "ca-plugin-dir", "", "plug-in CA directory (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem)")
	fl.StringVar(&f.ca.trustDomain, "trust-domain", "cluster.local", "SPIFFE trust domain of workload certificates")
	fl.StringSliceVar(&f.ca.audiences, "token-audience", []string{"istio-ca"}, "accepted audiences of service-account tokens")
	fl.DurationVar(&f.ca.propagation, "ca-rotation-propagation", 15*time.Minute, "root rotation: how long both roots are trusted before the new one signs")
	fl.DurationVar(&f.ca.sync, "ca-sync-interval", 30*time.Second, "how often the CA re-reads its root and advances rotations")
	return cmd
}

func run(ctx context.Context, f *flags) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := bootstrap.Options{
		XDSAddr:   f.xdsAddr,
		DebugAddr: f.debugAddr,
		Debounce:  bootstrap.DebounceOptions{Quiet: f.quiet, Max: f.maxDelay},
		Logger:    logger,
	}
	if f.configDir != "" {
		opts.Source = file.New(file.Options{Dir: f.configDir, Logger: logger})
	} else if err := kubeMode(f, &opts); err != nil {
		return err
	}
	return bootstrap.Run(ctx, opts)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
