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
	Every  time.Duration          // re-check period (root rotation, reinstalls); default 1 min
	Logger *slog.Logger
}

// Patch sets the caBundle once. A missing configuration is not an error:
// the chart may not have installed it (e.g. kube-inject-only installs).
func (p *CABundlePatcher) Patch(ctx context.Context) (changed bool, err error) {
	root, err := p.Root()
	if err != nil {
		return false, fmt.Errorf("caBundle: CA root: %w", err)
	}
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
	changed := false
	for i := range cfg.Webhooks {
		if !bytes.Equal(cfg.Webhooks[i].ClientConfig.CABundle, root) {
			cfg.Webhooks[i].ClientConfig.CABundle = root
			changed = true
		}
	}
	return changed
}

// Run patches now and then every p.Every until ctx ends; errors are logged
// and retried (the API server may be briefly unavailable).
func (p *CABundlePatcher) Run(ctx context.Context) error {
	every := p.Every
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if changed, err := p.Patch(ctx); err != nil {
			p.logger().Warn("webhook caBundle", "err", err)
		} else if changed {
			p.logger().Info("webhook caBundle updated", "configuration", p.name())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
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
