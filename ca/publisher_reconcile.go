package ca

import (
	"bytes"
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
)

var labelsEverything = labels.Everything()

// reconcile makes ns's istio-ca-root-cert hold the current bundle. Namespaces
// being deleted are skipped: creating in them fails and they are going away.
func (p *rootPublisher) reconcile(ctx context.Context, ns string) error {
	bundle := p.currentBundle()
	if len(bundle) == 0 {
		return nil
	}
	nsObj, err := p.namespaces.Get(ns)
	if apierrors.IsNotFound(err) || (err == nil && nsObj.DeletionTimestamp != nil) {
		return nil
	}
	if err != nil {
		return err
	}
	cm, err := p.configMaps.ConfigMaps(ns).Get(RootCertConfigMap)
	if apierrors.IsNotFound(err) {
		return p.create(ctx, ns, bundle)
	}
	if err != nil {
		return err
	}
	if bytes.Equal([]byte(cm.Data[RootCertKey]), bundle) {
		return nil
	}
	cm = cm.DeepCopy()
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data[RootCertKey] = string(bundle)
	if _, err := p.client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update configmap %s/%s: %w", ns, RootCertConfigMap, err)
	}
	return nil
}

func (p *rootPublisher) create(ctx context.Context, ns string, bundle []byte) error {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: RootCertConfigMap, Namespace: ns,
			// Istio's label, which tooling uses to find mesh config.
			Labels: map[string]string{"istio.io/config": "true"}},
		Data: map[string]string{RootCertKey: string(bundle)},
	}
	_, err := p.client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create configmap %s/%s: %w", ns, RootCertConfigMap, err)
	}
	return nil
}

// propagated reports whether every live namespace's istio-ca-root-cert holds
// exactly bundle. It asks the API server, not the informer cache, because it
// gates a root switch and must not trust a stale view.
func (p *rootPublisher) propagated(ctx context.Context, bundle []byte) (bool, error) {
	nss, err := p.client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, fmt.Errorf("list namespaces: %w", err)
	}
	cms, err := p.client.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", RootCertConfigMap).String()})
	if err != nil {
		return false, fmt.Errorf("list configmaps: %w", err)
	}
	published := map[string]bool{}
	for _, cm := range cms.Items {
		published[cm.Namespace] = cm.Data[RootCertKey] == string(bundle)
	}
	for _, ns := range nss.Items {
		if ns.DeletionTimestamp == nil && !published[ns.Name] {
			p.log.Info("trust bundle not yet propagated", "namespace", ns.Name)
			return false, nil
		}
	}
	return true, nil
}
