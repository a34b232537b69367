package injector

import (
	"context"
	"fmt"

	admissionregv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ValidatingConfigName is weft's ValidatingWebhookConfiguration.
const ValidatingConfigName = "weft-validator"

// patchValidating keeps the validating webhooks' caBundle equal to the
// root and, as Istio does, moves failurePolicy from Ignore to Fail only
// once the webhook is proven to work (p.Verify): a webhook that fails
// closed before weftd serves would block every mesh config change.
func (p *CABundlePatcher) patchValidating(ctx context.Context, root []byte) (bool, error) {
	api := p.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	cfg, err := api.Get(ctx, ValidatingConfigName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("caBundle: get %s: %w", ValidatingConfigName, err)
	}
	changed := setValidatingBundles(cfg, root)
	if !changed && p.Verify != nil && ignoring(cfg) {
		if err := p.Verify(ctx); err != nil {
			p.logger().Info("validating webhook not yet verified; failurePolicy stays Ignore", "err", err)
		} else {
			setFailClosed(cfg)
			changed = true
		}
	}
	if !changed {
		return false, nil
	}
	if _, err := api.Update(ctx, cfg, metav1.UpdateOptions{}); err != nil {
		return false, fmt.Errorf("caBundle: update %s: %w", ValidatingConfigName, err)
	}
	return true, nil
}

func setValidatingBundles(cfg *admissionregv1.ValidatingWebhookConfiguration, root []byte) bool {
	configs := make([]*admissionregv1.WebhookClientConfig, len(cfg.Webhooks))
	for i := range cfg.Webhooks {
		configs[i] = &cfg.Webhooks[i].ClientConfig
	}
	return setCABundles(configs, root)
}

func ignoring(cfg *admissionregv1.ValidatingWebhookConfiguration) bool {
	for _, w := range cfg.Webhooks {
		if w.FailurePolicy != nil && *w.FailurePolicy == admissionregv1.Ignore {
			return true
		}
	}
	return false
}

func setFailClosed(cfg *admissionregv1.ValidatingWebhookConfiguration) {
	fail := admissionregv1.Fail
	for i := range cfg.Webhooks {
		cfg.Webhooks[i].FailurePolicy = &fail
	}
}
