package ca

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// DefaultRootSecretName is the Secret, in weftd's namespace, holding the
// self-signed root and its rotation state (istiod's is istio-ca-secret).
const DefaultRootSecretName = "weft-ca-root"

// secretStore persists RootState in one Secret. Every write is conditional
// on the resourceVersion read, so replicas never overwrite each other's root.
type secretStore struct {
	client    kubernetes.Interface
	namespace string
	name      string
}

// loadOrCreate returns the persisted root, creating it with newState when the
// Secret does not exist. When two replicas create at once, the API server
// accepts one Create; the loser reads the winner's Secret, so both end up
// signing with the same root.
func (s *secretStore) loadOrCreate(ctx context.Context, newState func() (*RootState, error)) (*RootState, *corev1.Secret, error) {
	st, sec, err := s.load(ctx)
	if err == nil || !apierrors.IsNotFound(err) {
		return st, sec, err
	}
	fresh, err := newState()
	if err != nil {
		return nil, nil, err
	}
	sec = &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: s.namespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "weftd"}},
		Type: corev1.SecretTypeOpaque,
	}
	if err := encodeState(fresh, sec); err != nil {
		return nil, nil, err
	}
	created, err := s.client.CoreV1().Secrets(s.namespace).Create(ctx, sec, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return s.load(ctx) // another replica won the race: use its root
	}
	if err != nil {
		return nil, nil, fmt.Errorf("create secret %s/%s: %w", s.namespace, s.name, err)
	}
	return fresh, created, nil
}

// load reads and decodes the Secret; a NotFound error is returned unwrapped
// in the chain so callers can test it with apierrors.IsNotFound.
func (s *secretStore) load(ctx context.Context) (*RootState, *corev1.Secret, error) {
	sec, err := s.client.CoreV1().Secrets(s.namespace).Get(ctx, s.name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("get secret %s/%s: %w", s.namespace, s.name, err)
	}
	st, err := decodeState(sec)
	if err != nil {
		return nil, nil, err
	}
	return st, sec, nil
}

// save writes st over sec (the version it was derived from). A Conflict
// means another replica advanced first; the caller reloads.
func (s *secretStore) save(ctx context.Context, sec *corev1.Secret, st *RootState) (*corev1.Secret, error) {
	sec = sec.DeepCopy()
	if err := encodeState(st, sec); err != nil {
		return nil, err
	}
	updated, err := s.client.CoreV1().Secrets(s.namespace).Update(ctx, sec, metav1.UpdateOptions{})
	if err != nil {
		return nil, fmt.Errorf("update secret %s/%s: %w", s.namespace, s.name, err)
	}
	return updated, nil
}

// requestRotation sets the rotate annotation, as an operator would with
// kubectl annotate; the next sync starts the rotation.
func (s *secretStore) requestRotation(ctx context.Context) error {
	_, sec, err := s.load(ctx)
	if err != nil {
		return err
	}
	sec = sec.DeepCopy()
	if sec.Annotations == nil {
		sec.Annotations = map[string]string{}
	}
	sec.Annotations[AnnotationRotate] = "requested"
	if _, err := s.client.CoreV1().Secrets(s.namespace).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("annotate secret %s/%s: %w", s.namespace, s.name, err)
	}
	return nil
}
