package bootstrap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"

	"github.com/weftmesh/weft/ca"
	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/injector"
	validation "github.com/weftmesh/weft/pilot/validation/webhook"
)

// webhookRunner serves the injection webhook and keeps the caBundle of the
// MutatingWebhookConfiguration equal to the CA root. Its certificate comes
// from the CA, so it runs only with the CA enabled. A failure (e.g. the
// port is taken) is logged and weftd keeps serving xDS: proxies already
// running matter more than new pods, which the webhook's failurePolicy
// holds back until it is fixed.
func webhookRunner(cfg *rest.Config, c Config, shared *sharedCA) func(context.Context) error {
	log := c.Logger
	return func(ctx context.Context) error {
		if c.Webhook.Addr == "" {
			<-ctx.Done()
			return ctx.Err()
		}
		if err := runWebhook(ctx, cfg, c, shared); err != nil && ctx.Err() == nil {
			log.Error("sidecar injection webhook stopped; weftd continues without it", "err", err)
		}
		<-ctx.Done()
		return ctx.Err()
	}
}

func runWebhook(ctx context.Context, cfg *rest.Config, c Config, shared *sharedCA) error {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("webhook: kubernetes client: %w", err)
	}
	settings, err := injectorSettings(client, c)
	if err != nil {
		return err
	}
	authority, err := shared.wait(ctx)
	if err != nil {
		return err
	}
	namespaces, err := namespaceLabels(ctx, client)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("webhook: dynamic client: %w", err)
	}
	return serveWebhook(ctx, webhookDeps{client: client, settings: settings, authority: authority, namespaces: namespaces,
		verify: verifyValidation(dyn, c.Namespace), addr: c.Webhook.Addr, log: c.Logger})
}

// webhookDeps is what the webhook server is built from.
type webhookDeps struct {
	client     kubernetes.Interface
	settings   injector.Settings
	authority  *ca.Server
	namespaces injector.NamespaceLabels
	verify     func(context.Context) error
	addr       string
	log        *slog.Logger
}

func serveWebhook(ctx context.Context, d webhookDeps) error {
	client, s, authority, ns, log := d.client, d.settings, d.authority, d.namespaces, d.log
	srv, err := injector.NewServer(injector.ServerOptions{
		Addr: d.addr, Logger: log,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c := authority.ServingCertificate(); c != nil {
				return c, nil
			}
			return nil, errors.New("no serving certificate yet")
		},
		Inject: &injector.Webhook{Settings: s, Namespaces: ns, Logger: log},
		// The mesh kinds' validating webhook shares the port and certificate.
		Validate: &validation.Handler{Logger: log},
	})
	if err != nil {
		return err
	}
	patcher := &injector.CABundlePatcher{Client: client, Logger: log,
		Root:   func() ([]byte, error) { return authority.RootBundle(), nil },
		Verify: d.verify}
	go func() { _ = patcher.Run(ctx) }()
	log.Info("sidecar injection webhook serving", "addr", srv.Addr(), "revision", s.Revision, "native_sidecars", s.NativeSidecars)
	return srv.Run(ctx)
}

func injectorSettings(client kubernetes.Interface, c Config) (injector.Settings, error) {
	s := c.Webhook.Settings
	def := contract.ControlPlaneAddr(c.Namespace)
	if s.CAAddr == "" {
		s.CAAddr = def
	}
	if s.XDSAddr == "" {
		s.XDSAddr = def
	}
	native, err := nativeSidecars(client, c.Webhook.NativeSidecars)
	if err != nil {
		return s, err
	}
	s.NativeSidecars = native
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("webhook: %w", err)
	}
	return s, nil
}

// nativeSidecars resolves "auto" from the API server's version: sidecar
// containers are beta and on by default from 1.29.
func nativeSidecars(client kubernetes.Interface, mode string) (bool, error) {
	switch mode {
	case "true", "false":
		return mode == "true", nil
	case "auto":
	default:
		return false, fmt.Errorf("--injector-native-sidecars %q: want true, false or auto", mode)
	}
	v, err := client.Discovery().ServerVersion()
	if err != nil {
		return false, fmt.Errorf("webhook: API server version: %w", err)
	}
	major, _ := strconv.Atoi(v.Major)
	minor, _ := strconv.Atoi(strings.TrimRight(v.Minor, "+"))
	return major > 1 || (major == 1 && minor >= 29), nil
}

// namespaceLabels reads namespaces from an informer cache, falling back to
// the API for a namespace the cache has not seen yet (created just before
// its first pod).
func namespaceLabels(ctx context.Context, client kubernetes.Interface) (injector.NamespaceLabels, error) {
	factory := informers.NewSharedInformerFactory(client, 0)
	lister := factory.Core().V1().Namespaces().Lister()
	factory.Start(ctx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return nil, fmt.Errorf("webhook: %v cache did not sync", typ)
		}
	}
	return injector.NamespaceLabelsFunc(func(ctx context.Context, name string) (map[string]string, error) {
		return lookupNamespace(ctx, client, lister, name)
	}), nil
}

func lookupNamespace(ctx context.Context, client kubernetes.Interface, lister listersv1.NamespaceLister, name string) (map[string]string, error) {
	ns, err := lister.Get(name)
	if apierrors.IsNotFound(err) {
		ns, err = client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return nil, err
	}
	return ns.Labels, nil
}
