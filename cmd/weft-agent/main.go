// Command weft-agent runs next to a workload: it obtains the workload's
// certificate from weftd's CA with the pod's service-account token, keeps it
// rotated, and hands it to the proxy (files and a grpc-go xDS bootstrap for
// proxyless gRPC, or SDS and an Envoy bootstrap for Envoy).
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/weftmesh/weft/agent"
	"github.com/weftmesh/weft/agent/bootstrap"
	"github.com/weftmesh/weft/agent/cert"
	"github.com/weftmesh/weft/agent/health"
	"github.com/weftmesh/weft/contract"
)

// defaultWeftd is where the injector points agents for a weftd in its default
// namespace; both take it from package contract so they cannot drift.
var defaultWeftd = contract.ControlPlaneAddr(contract.DefaultNamespace)

type proxyFlags struct {
	mode           string
	caAddr         string
	caRoot         string
	caServerName   string
	xdsAddr        string
	xdsPlaintext   bool
	xdsServerName  string
	tokenPath      string
	ttl            time.Duration
	outputDir      string
	grpcBootstrap  string
	refresh        time.Duration
	sdsSocket      string
	envoyBootstrap string
	adminAddr      string
	labelsFile     string
	podName        string
	namespace      string
	instanceIP     string
	serviceAccount string
	trustDomain    string
	dnsDomain      string
	logLevel       string
	statusAddr     string
}

func main() {
	if err := command().Execute(); err != nil {
		os.Exit(1)
	}
}

func command() *cobra.Command {
	root := &cobra.Command{
		Use:          "weft-agent",
		Short:        "weft's sidecar agent: workload certificates and proxy bootstrap",
		SilenceUsage: true,
	}
	root.AddCommand(proxyCommand())
	return root
}

func proxyCommand() *cobra.Command {
	f := &proxyFlags{}
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "keep the workload certificate current and serve it to the proxy until SIGTERM",
		Long: "proxy requests the workload certificate from weftd's CA (--ca-addr) with the projected\n" +
			"service-account token, rotates it at about half its lifetime, and publishes it:\n" +
			"  --mode proxyless: cert-chain.pem, key.pem, root-cert.pem and grpc-bootstrap.json in --output-dir\n" +
			"  --mode envoy:     SDS on --sds-socket and the Envoy bootstrap at --envoy-bootstrap\n" +
			"The pod identity comes from POD_NAME, POD_NAMESPACE, INSTANCE_IP, SERVICE_ACCOUNT and the\n" +
			"downward-API labels file.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runProxy(cmd.Context(), f, cmd.Flags().Changed("labels-file"))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.mode, flagName(contract.AgentFlagMode), envOr("WEFT_AGENT_MODE", string(agent.ModeEnvoy)), "proxy kind: proxyless or envoy")
	fl.StringVar(&f.caAddr, flagName(contract.AgentFlagCAAddr), envOr("CA_ADDR", defaultWeftd), "weftd's CA address (TLS)")
	fl.StringVar(&f.caRoot, "ca-root", contract.RootCertPath, "PEM root bundle verifying weftd (the "+contract.RootCertConfigMap+" ConfigMap); re-read on use")
	fl.StringVar(&f.caServerName, "ca-server-name", "", "name weftd's CA certificate must carry (default: host of --ca-addr)")
	fl.StringVar(&f.xdsAddr, flagName(contract.AgentFlagXDSAddr), envOr("XDS_ADDR", defaultWeftd), "weftd's ADS address written into the bootstrap")
	fl.BoolVar(&f.xdsPlaintext, "xds-plaintext", false, "plaintext ADS (a local weftd on 15010) instead of mutual TLS")
	fl.StringVar(&f.xdsServerName, "xds-server-name", "", "name Envoy checks on weftd's certificate (default: host of --xds-addr)")
	fl.StringVar(&f.tokenPath, "token-path", contract.TokenPath, "projected service-account token, re-read for every request")
	fl.DurationVar(&f.ttl, "ttl", envDuration("SECRET_TTL", 24*time.Hour), "requested certificate lifetime")
	fl.StringVar(&f.outputDir, "output-dir", contract.EnvoyDir, "proxyless: directory for the certificate files and grpc-bootstrap.json")
	fl.StringVar(&f.grpcBootstrap, "grpc-bootstrap", "", "proxyless: bootstrap path (default OUTPUT_DIR/grpc-bootstrap.json)")
	fl.DurationVar(&f.refresh, "file-refresh-interval", 10*time.Second, "proxyless: how often grpc-go re-reads the certificate files")
	fl.StringVar(&f.sdsSocket, "sds-socket", contract.SDSSocket, "envoy: SDS Unix socket")
	fl.StringVar(&f.envoyBootstrap, "envoy-bootstrap", contract.EnvoyBootstrap, "envoy: bootstrap path")
	fl.StringVar(&f.adminAddr, "envoy-admin-addr", contract.AgentAdminAddr, "envoy: admin listener")
	fl.StringVar(&f.labelsFile, "labels-file", contract.LabelsFile, "downward-API file with the pod's labels")
	fl.StringVar(&f.podName, "pod-name", os.Getenv(contract.EnvPodName), "pod name ("+contract.EnvPodName+")")
	fl.StringVar(&f.namespace, "pod-namespace", os.Getenv(contract.EnvPodNamespace), "pod namespace ("+contract.EnvPodNamespace+")")
	fl.StringVar(&f.instanceIP, "instance-ip", os.Getenv(contract.EnvInstanceIP), "pod IP ("+contract.EnvInstanceIP+")")
	fl.StringVar(&f.serviceAccount, "service-account", os.Getenv(contract.EnvServiceAccount), "service account ("+contract.EnvServiceAccount+")")
	fl.StringVar(&f.trustDomain, "trust-domain", envOr("TRUST_DOMAIN", "cluster.local"), "SPIFFE trust domain")
	fl.StringVar(&f.dnsDomain, "dns-domain", "cluster.local", "cluster DNS domain in the node id")
	fl.StringVar(&f.logLevel, flagName(contract.AgentFlagLogLevel), "info", "debug, info, warn or error")
	fl.StringVar(&f.statusAddr, "status-addr", contract.AgentStatusAddr, "status port: kubelet app probes (/app-health/...) and /healthz/ready; empty disables")
	return cmd
}

func runProxy(ctx context.Context, f *proxyFlags, labelsRequired bool) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	labels, err := readLabels(f.labelsFile, labelsRequired, logger)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := agent.New(agent.Options{
		Mode: agent.Mode(f.mode),
		Identity: bootstrap.Identity{
			PodName: f.podName, Namespace: f.namespace, IP: f.instanceIP, ServiceAccount: f.serviceAccount,
			Labels: labels, TrustDomain: f.trustDomain, DNSDomain: f.dnsDomain,
		},
		CAAddr: f.caAddr, CARoots: cert.FileTrustBundle(f.caRoot), CAServerName: f.caServerName,
		TokenPath: f.tokenPath, TTL: f.ttl,
		XDSAddr: f.xdsAddr, XDSPlaintext: f.xdsPlaintext, XDSServerName: f.xdsServerName,
		OutputDir: f.outputDir, GRPCBootstrapPath: f.grpcBootstrap, FileRefreshInterval: f.refresh,
		SDSSocket: f.sdsSocket, EnvoyBootstrapPath: f.envoyBootstrap, EnvoyAdminAddr: f.adminAddr,
		Logger: logger,
	})
	if err != nil {
		return err
	}
	if f.statusAddr != "" {
		go serveStatus(ctx, f.statusAddr, a, logger)
	}
	return a.Run(ctx)
}

// serveStatus runs the status port; a failure is logged, not fatal: the
// certificate matters more than the probes, which the kubelet will report.
func serveStatus(ctx context.Context, addr string, a *agent.Agent, logger *slog.Logger) {
	ready := func() bool {
		select {
		case <-a.Ready():
			return true
		default:
			return false
		}
	}
	err := health.Serve(ctx, health.Options{Addr: addr, AppProbers: os.Getenv(health.AppProbersEnv), Ready: ready, Logger: logger})
	if err != nil {
		logger.Error("status port stopped", "err", err)
	}
}

// readLabels tolerates a missing default file (no downward-API volume) but
// not one the user named.
func readLabels(path string, required bool, logger *slog.Logger) (map[string]string, error) {
	labels, err := agent.ReadLabelsFile(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		logger.Warn("no labels file; the proxy carries no pod labels", "path", path)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--labels-file: %w", err)
	}
	return labels, nil
}

// flagName strips the dashes from a contract flag, for pflag's definitions:
// the injector passes exactly the names weft-agent defines.
func flagName(flag string) string { return strings.TrimLeft(flag, "-") }

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// envDuration reads a Go duration (Istio's SECRET_TTL uses the same form).
func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil && d > 0 {
		return d
	}
	return def
}
