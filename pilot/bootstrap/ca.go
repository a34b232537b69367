package bootstrap

import (
	"context"
	"fmt"
	"net"

	"k8s.io/client-go/kubernetes"

	"github.com/weftmesh/weft/ca"
)

// sharedCA hands weftd's one CA instance to the webhook, which takes its
// serving certificate from it; a second instance would also publish
// ConfigMaps and advance rotations.
type sharedCA struct {
	ready chan struct{}
	srv   *ca.Server
}

func newSharedCA() *sharedCA { return &sharedCA{ready: make(chan struct{})} }

func (s *sharedCA) set(srv *ca.Server) { s.srv = srv; close(s.ready) }

// wait returns the CA once it runs, or ctx's error.
func (s *sharedCA) wait(ctx context.Context) (*ca.Server, error) {
	select {
	case <-s.ready:
		return s.srv, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// newCA builds weft's CA: with kube, tokens are reviewed by the API server
// and the root lives in a Secret; without, the root is the plug-in
// directory's and no token is accepted (file mode has nobody to ask).
func newCA(ctx context.Context, c Config, kube kubernetes.Interface) (*ca.Server, error) {
	o := ca.Options{
		Namespace: c.Namespace, TrustDomain: c.CA.TrustDomain, Audiences: c.CA.Audiences,
		PluginCertDir: c.CA.PluginDir, Logger: c.Logger, SyncInterval: c.CA.Sync,
		ServingIPs:      append(listenIPs(c.SecureAddr), listenIPs(c.Webhook.Addr)...),
		ServingDNSNames: webhookNames(c),
		Rotation:        ca.RotationOptions{PropagationDelay: c.CA.Propagation},
	}
	if kube != nil {
		o.Kube = kube
	} else {
		o.Authenticator = refuseTokens{}
	}
	srv, err := ca.New(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	return srv, nil
}

// refuseTokens is file mode's CA authenticator: the CA service is not
// served there, and would refuse every caller if it were.
type refuseTokens struct{}

func (refuseTokens) Authenticate(context.Context) (ca.Identity, error) {
	return ca.Identity{}, fmt.Errorf("%w: file mode has no token review", ca.ErrUnauthenticated)
}

// webhookNames are the webhook Service's names in weftd's serving
// certificate, when the webhook is on.
func webhookNames(c Config) []string {
	if c.Webhook.Addr == "" || c.ConfigDir != "" {
		return nil
	}
	svc := c.Webhook.Service + "." + c.Namespace + ".svc"
	return []string{svc, svc + ".cluster.local"}
}

// listenIPs puts a concrete listen IP into the serving certificate.
func listenIPs(addr string) []net.IP {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err == nil && ip != nil && !ip.IsUnspecified() {
		return []net.IP{ip}
	}
	return nil
}
