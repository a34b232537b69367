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
	configDir string
	xdsAddr   string
	debugAddr string
	quiet     time.Duration
	maxDelay  time.Duration
	logLevel  string
}

func main() {
	if err := command().Execute(); err != nil {
		os.Exit(1)
	}
}

func command() *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:           "weftd",
		Short:         "weft control plane: Istio mesh config in, per-proxy xDS out",
		SilenceUsage:  true,
		SilenceErrors: false,
		RunE:          func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.configDir, "config-dir", "", "directory of mesh and Kubernetes YAML/JSON to serve (file mode)")
	fl.StringVar(&f.xdsAddr, "xds-addr", "127.0.0.1:15010", "plaintext ADS address")
	fl.StringVar(&f.debugAddr, "debug-addr", "127.0.0.1:15014", "debug HTTP address (/debug/syncz, /debug/config_dump, /metrics)")
	fl.DurationVar(&f.quiet, "debounce-quiet", 100*time.Millisecond, "push once config has been quiet this long")
	fl.DurationVar(&f.maxDelay, "debounce-max", time.Second, "push at the latest this long after the first change")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

func run(ctx context.Context, f *flags) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if f.configDir == "" {
		return fmt.Errorf("--config-dir is required (Kubernetes mode is not available yet)")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return bootstrap.Run(ctx, bootstrap.Options{
		Source:    file.New(file.Options{Dir: f.configDir, Logger: logger}),
		XDSAddr:   f.xdsAddr,
		DebugAddr: f.debugAddr,
		Debounce:  bootstrap.DebounceOptions{Quiet: f.quiet, Max: f.maxDelay},
		Logger:    logger,
	})
}
