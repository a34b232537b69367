package bootstrap

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/weftmesh/weft/ca"
	"github.com/weftmesh/weft/injector"
	"github.com/weftmesh/weft/internal/memlimit"
	"github.com/weftmesh/weft/pilot/config/file"
)

// Config is everything weftd's command line sets; cmd/weftd only parses
// flags into it. Which server listens where, with which credentials, is
// decided here and in Run.
type Config struct {
	// ConfigDir selects file mode; otherwise Kubernetes mode with
	// Kubeconfig (empty: in-cluster config).
	ConfigDir  string
	Kubeconfig string
	// ConfigMaxFileBytes refuses larger config files in file mode.
	ConfigMaxFileBytes int64
	// MeshConfig is an Istio mesh config file (istiod's --meshConfig); weft
	// reads what meshconfig.go lists from it. Empty: Istio's defaults.
	MeshConfig string
	// Namespace is weftd's own (Lease, CA Secret, certificate names).
	Namespace   string
	PodName     string
	LeaderElect bool

	// XDSAddr is plaintext ADS and DebugAddr the debug endpoints: both
	// unauthenticated, loopback unless the operator opens them. HealthAddr
	// serves only /ready and /healthz. SecureAddr is istiod's 15012: the CA
	// and ADS over mutual TLS. Empty disables a server.
	XDSAddr, DebugAddr, HealthAddr, SecureAddr string

	Debounce DebounceOptions
	CA       CAConfig
	Webhook  WebhookConfig
	Logger   *slog.Logger
}

// CAConfig configures weft's certificate authority.
type CAConfig struct {
	// PluginDir is an operator's CA (ca-cert.pem, ca-key.pem, root-cert.pem,
	// cert-chain.pem); in file mode it enables the secure port.
	PluginDir          string
	TrustDomain        string
	TrustDomainAliases []string
	Audiences          []string
	Propagation, Sync  time.Duration
}

// trustDomains are accepted in client certificates on the secure port.
func (c CAConfig) trustDomains() []string {
	return append([]string{c.TrustDomain}, c.TrustDomainAliases...)
}

// WebhookConfig configures the admission webhooks (Kubernetes mode).
type WebhookConfig struct {
	Addr    string // empty disables both webhooks
	Service string // Service in front of them, named in the certificate
	// NativeSidecars is true, false or auto (API server ≥ 1.29).
	NativeSidecars string
	Settings       injector.Settings
}

// RunConfig runs weftd as configured until ctx ends.
func RunConfig(ctx context.Context, c Config) error {
	opts, err := c.options()
	if err != nil {
		return err
	}
	applyMemoryLimit(opts.Logger)
	return Run(ctx, opts)
}

// applyMemoryLimit gives Go's garbage collector weftd's GOGC and the
// container's memory limit (less a margin) unless GOGC or GOMEMLIMIT are
// set; a line each says which.
func applyMemoryLimit(log *slog.Logger) {
	log.Info("garbage collector target", "setting", memlimit.ApplyGCPercent())
	r, err := memlimit.Apply(os.DirFS("/"))
	switch {
	case err != nil:
		log.Warn("no soft memory limit", "err", err)
	case r.Soft > 0:
		log.Info("soft memory limit set", "bytes", r.Soft, "container_limit_bytes", r.Container, "reason", r.Reason)
	default:
		log.Info("no soft memory limit", "reason", r.Reason)
	}
}

func (c Config) options() (Options, error) {
	opts := Options{
		XDSAddr: c.XDSAddr, DebugAddr: c.DebugAddr, HealthAddr: c.HealthAddr,
		Debounce: c.Debounce, Logger: c.Logger, TrustDomains: c.CA.trustDomains(),
	}
	if err := c.readMeshConfig(&opts); err != nil {
		return opts, err
	}
	if c.ConfigDir == "" {
		return opts, kubeMode(c, &opts)
	}
	opts.Source = file.New(file.Options{Dir: c.ConfigDir, Logger: c.Logger, MaxFileBytes: c.ConfigMaxFileBytes})
	switch {
	case c.SecureAddr != "" && c.CA.PluginDir != "":
		opts.Secure = &SecureOptions{Addr: c.SecureAddr, NewCA: func(ctx context.Context) (*ca.Server, error) { return newCA(ctx, c, nil) }}
	case c.SecureAddr != "":
		c.Logger.Info("secure port off: file mode needs --ca-plugin-dir for a mesh CA to verify proxies with", "secure_addr", c.SecureAddr)
	}
	return opts, nil
}
