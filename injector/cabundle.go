package injector

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// WebhookConfigName is weft's MutatingWebhookConfiguration (the chart's
// RBAC lets weftd get and patch exactly this name).
const WebhookConfigName = "weft-sidecar-injector"

// CABundlePatcher keeps every webhook's caBundle in the configuration
// equal to the CA root, so the API server trusts weftd's serving
// certificate without a cert-manager.
type CABundlePatcher struct {
	Client kubernetes.Interface
	Name   string                 // default WebhookConfigName
	Root   func() ([]byte, error) // PEM roots (ca.Server.RootBundle)
	Every  time.Duration          // re-check period (root rotation, reinstalls, a newly installed configuration); default 10s
	Logger *slog.Logger
	// Verify proves the validating webhook works end to end (a dry-run of
	// an invalid resource is rejected by weftd); only then does the
	// ValidatingWebhookConfiguration fail closed. Nil leaves it as installed.
	Verify func(context.Context) error
}

// Patch sets the caBundles once. A missing configuration is not an error:
// the chart may not have installed it (e.g. kube-inject-only installs).
func (p *CABundlePatcher) Patch(ctx context.Context) (changed bool, err error) {
	root, err := p.Root()
	if err != nil {
		return false, fmt.Errorf("caBundle: CA root: %w", err)
	}
	validating, err := p.patchValidating(ctx, root)
	if err != nil {
		return false, err
	}
	mutating, err := p.patchMutating(ctx, root)
	return validating || mutating, err
}

func (p *CABundlePatcher) patchMutating(ctx context.Context, root []byte) (changed bool, err error) {
	api := p.Client.AdmissionregistrationV1().MutatingWebhookConfigurations()
	cfg, err := api.Get(ctx, p.name(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("caBundle: get %s: %w", p.name(), err)
	}
	if !setBundles(cfg, root) {
		return false, nil
	}
	// Update with the read resourceVersion: a concurrent writer makes this
	// fail with a conflict and the next round re-reads.
	if _, err := api.Update(ctx, cfg, metav1.UpdateOptions{}); err != nil {
		return false, fmt.Errorf("caBundle: update %s: %w", p.name(), err)
	}
	return true, nil
}

func setBundles(cfg *admissionregv1.MutatingWebhookConfiguration, root []byte) bool {
	configs := make([]*admissionregv1.WebhookClientConfig, len(cfg.Webhooks))
	for i := range cfg.Webhooks {
		configs[i] = &cfg.Webhooks[i].ClientConfig
	}
	return setCABundles(configs, root)
}

// setCABundles points every client config at root; true if any changed.
func setCABundles(configs []*admissionregv1.WebhookClientConfig, root []byte) bool {
	changed := false
	for _, c := range configs {
		if !bytes.Equal(c.CABundle, root) {
			c.CABundle = root
			changed = true
		}
	}
	return changed
}

// Run patches now and then every p.Every until ctx ends; errors are logged
// and retried (the API server may be briefly unavailable). After a change
// it looks again within seconds: the validating webhook can be verified
// only once the API server uses the new caBundle.
func (p *CABundlePatcher) Run(ctx context.Context) error {
	every := p.Every
	if every <= 0 {
		every = 10 * time.Second
	}
	for {
		wait := every
		if changed, err := p.Patch(ctx); err != nil {
			p.logger().Warn("webhook caBundle", "err", err)
		} else if changed {
			p.logger().Info("webhook configurations updated (caBundle or failurePolicy)")
			wait = min(every, 2*time.Second)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (p *CABundlePatcher) name() string {
	if p.Name != "" {
		return p.Name
	}
	return WebhookConfigName
}

func (p *CABundlePatcher) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.Default()
}
