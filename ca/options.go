package ca

import (
	"errors"
	"log/slog"
	"net"
	"time"

	"k8s.io/client-go/kubernetes"
)

// Options configures New. Three ways to get a root of trust, by precedence:
// PluginCertDir (an operator's CA, Istio's cacerts layout); Kube (a
// self-signed root shared through a Secret, rotated by weftd); or neither
// (file mode: a self-signed root in memory, new at each start).
type Options struct {
	// TrustDomain of issued SPIFFE IDs; default "cluster.local".
	TrustDomain string
	// DefaultTTL (default 24h) and MaxTTL (default 90 days; longer
	// requests are clamped) of workload certificates.
	DefaultTTL, MaxTTL time.Duration

	// Kube selects Kubernetes mode: callers are authenticated by
	// TokenReview, the root lives in a Secret and the bundle is published
	// to every namespace.
	Kube kubernetes.Interface
	// Namespace is weftd's: it holds the root Secret and names the
	// serving certificate's DNS names. Default "istio-system".
	Namespace string
	// RootSecretName defaults to DefaultRootSecretName.
	RootSecretName string
	// Audiences accepted in service-account tokens; default ["istio-ca"].
	Audiences []string
	// DisableRootConfigMaps stops publishing istio-ca-root-cert, for a
	// replica that is not the leader or a cluster where Istio still does it.
	DisableRootConfigMaps bool
	// Rotation times root rotations (Kubernetes mode, self-signed root).
	Rotation RotationOptions

	// Authenticator is required without Kube and refused with it: in
	// Kubernetes mode TokenReview is the only way in.
	Authenticator Authenticator

	// PluginCertDir, if set, is a directory with ca-cert.pem, ca-key.pem,
	// root-cert.pem and optionally cert-chain.pem, reloaded on change.
	PluginCertDir string

	// ServingDNSNames and ServingIPs are added to weftd's serving
	// certificate (the listen IP, a load balancer's name).
	ServingDNSNames []string
	ServingIPs      []net.IP

	// SyncInterval is how often the root Secret or plug-in directory is
	// re-read and the serving certificate checked; default 30s.
	SyncInterval time.Duration
	// Clock defaults to time.Now; tests move it to walk through rotations.
	Clock func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() (Options, error) {
	if o.Kube != nil && o.Authenticator != nil {
		return o, errors.New("ca: Options.Authenticator cannot be set with Kube (TokenReview is the only authenticator in Kubernetes mode)")
	}
	if o.Kube == nil && o.Authenticator == nil {
		return o, errors.New("ca: Options.Authenticator is required outside Kubernetes mode")
	}
	if o.Namespace == "" {
		o.Namespace = "istio-system"
	}
	if o.RootSecretName == "" {
		o.RootSecretName = DefaultRootSecretName
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = 30 * time.Second
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Rotation = o.Rotation.withDefaults()
	return o, nil
}
