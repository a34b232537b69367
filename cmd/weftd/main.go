// Command weftd is weft's control plane: it turns Istio mesh config into
// per-proxy xDS and serves it over ADS. This file only parses flags;
// pilot/bootstrap decides what listens where, with which credentials.
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
	"github.com/spf13/pflag"

	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/injector"
	"github.com/weftmesh/weft/pilot/bootstrap"
	"github.com/weftmesh/weft/pilot/config/file"
)

func main() {
	if err := command().Execute(); err != nil {
		os.Exit(1)
	}
}

func command() *cobra.Command {
	c := &bootstrap.Config{}
	var logLevel string
	cmd := &cobra.Command{
		Use:   "weftd",
		Short: "weft control plane: Istio mesh config in, per-proxy xDS out",
		Long: "weftd serves xDS from Istio mesh config. With --config-dir it reads files (file mode);\n" +
			"otherwise it watches a Kubernetes cluster (--kubeconfig, or in-cluster config).",
		SilenceUsage: true,
		RunE:         func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), c, logLevel) },
	}
	fl := cmd.Flags()
	addServerFlags(fl, c)
	addCAFlags(fl, &c.CA)
	addWebhookFlags(fl, &c.Webhook)
	fl.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	return cmd
}

func addServerFlags(fl *pflag.FlagSet, c *bootstrap.Config) {
	fl.StringVar(&c.ConfigDir, "config-dir", "", "directory of mesh and Kubernetes YAML/JSON to serve (file mode)")
	fl.Int64Var(&c.ConfigMaxFileBytes, "config-max-file-bytes", file.DefaultMaxFileBytes,
		"file mode: a larger config file is refused with an error and its last good content kept")
	fl.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig for Kubernetes mode; empty means in-cluster config")
	fl.StringVar(&c.MeshConfig, "mesh-config", "", "Istio mesh config file (istiod's --meshConfig): weft reads defaultVirtualServiceExportTo, defaultDestinationRuleExportTo, defaultServiceExportTo, localityLbSetting, outboundTrafficPolicy, trustDomain (must match --trust-domain) and trustDomainAliases, and logs the other fields set as not acted on")
	fl.StringVar(&c.Namespace, "namespace", envOr("POD_NAMESPACE", contract.DefaultNamespace), "weftd's own namespace (leader Lease, CA Secret, certificate names)")
	fl.StringVar(&c.PodName, "pod-name", envOr("POD_NAME", hostname()), "this replica's identity in leader election")
	fl.BoolVar(&c.LeaderElect, "leader-elect", true, "elect one replica to write resource status (Kubernetes mode)")
	fl.StringVar(&c.XDSAddr, "xds-addr", contract.LoopbackAddr(contract.PortXDSPlaintext), "plaintext ADS address: unauthenticated, keep it on loopback; empty disables")
	fl.StringVar(&c.DebugAddr, "debug-addr", contract.LoopbackAddr(contract.PortDebug), "debug HTTP address (/debug/syncz, /debug/config_dump, /metrics, pprof): unauthenticated; empty disables")
	fl.StringVar(&c.HealthAddr, "health-addr", "", "health HTTP address for the kubelet's probes (/ready, /healthz only; the chart uses :8080); empty disables")
	fl.StringVar(&c.SecureAddr, "secure-addr", contract.LoopbackAddr(contract.PortSecure),
		"secure gRPC address: ADS over mutual TLS and the CA (Kubernetes mode; file mode needs --ca-plugin-dir); empty disables")
	fl.DurationVar(&c.Debounce.Quiet, "debounce-quiet", 100*time.Millisecond, "push once config has been quiet this long")
	fl.DurationVar(&c.Debounce.Max, "debounce-max", time.Second, "push at the latest this long after the first change")
}

func addCAFlags(fl *pflag.FlagSet, c *bootstrap.CAConfig) {
	fl.StringVar(&c.PluginDir, "ca-plugin-dir", "", "plug-in CA directory (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem)")
	fl.StringVar(&c.TrustDomain, "trust-domain", "cluster.local", "SPIFFE trust domain of workload certificates")
	fl.StringSliceVar(&c.TrustDomainAliases, "trust-domain-alias", nil, "other trust domains accepted in proxies' certificates (repeatable)")
	fl.StringSliceVar(&c.Audiences, "token-audience", []string{contract.TokenAudience}, "accepted audiences of service-account tokens")
	fl.DurationVar(&c.Propagation, "ca-rotation-propagation", 15*time.Minute, "root rotation: how long both roots are trusted before the new one signs")
	fl.DurationVar(&c.Sync, "ca-sync-interval", 30*time.Second, "how often the CA re-reads its root and advances rotations")
}

func addWebhookFlags(fl *pflag.FlagSet, w *bootstrap.WebhookConfig) {
	d := injector.DefaultSettings()
	w.Settings = d
	fl.StringVar(&w.Addr, "webhook-addr", contract.LoopbackAddr(contract.PortWebhook), "admission webhooks address (HTTPS, Kubernetes mode, needs the CA); empty disables them")
	fl.StringVar(&w.Service, "webhook-service", contract.WebhookService, "Service in front of the webhooks, named in their certificate (NAME.NAMESPACE.svc)")
	fl.StringVar(&w.Settings.AgentImage, "injector-agent-image", d.AgentImage, "weft-agent image injected (istio-init, weft-agent)")
	fl.StringVar(&w.Settings.ProxyImage, "injector-proxy-image", d.ProxyImage, "Envoy image injected (istio-proxy)")
	fl.StringVar(&w.Settings.CAAddr, "injector-ca-addr", "", "CA address given to injected agents (default weftd.NAMESPACE.svc:15012)")
	fl.StringVar(&w.Settings.XDSAddr, "injector-xds-addr", "", "xDS address given to injected agents (default weftd.NAMESPACE.svc:15012)")
	fl.StringVar(&w.Settings.Revision, "revision", "", "control-plane revision: namespaces labelled istio.io/rev=REVISION are injected (empty: istio-injection=enabled)")
	fl.StringVar(&w.NativeSidecars, "injector-native-sidecars", "auto", "inject native sidecars: true, false, or auto (API server >= 1.29)")
	fl.StringVar(&w.Settings.LogLevel, "injector-proxy-log-level", d.LogLevel, "default proxy log level")
}

// runConfig starts the control plane; tests replace it to inspect the
// Config the flags produced without starting servers.
var runConfig = bootstrap.RunConfig

func run(ctx context.Context, c *bootstrap.Config, logLevel string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runConfig(ctx, *c)
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
