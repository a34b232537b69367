package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var virtualServices = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}

// verifyValidation proves the validating webhook works end to end: a
// server-side dry run of a VirtualService whose route weights are all zero
// must be denied by weftd. Dry runs store nothing.
func verifyValidation(dyn dynamic.Interface, namespace string) func(context.Context) error {
	return func(ctx context.Context) error {
		vs := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
			"metadata": map[string]any{"generateName": "weft-webhook-probe-", "namespace": namespace},
			"spec": map[string]any{"hosts": []any{"weft-webhook-probe"}, "http": []any{map[string]any{"route": []any{
				map[string]any{"destination": map[string]any{"host": "a"}, "weight": int64(0)},
				map[string]any{"destination": map[string]any{"host": "b"}, "weight": int64(0)},
			}}}},
		}}
		_, err := dyn.Resource(virtualServices).Namespace(namespace).Create(ctx, vs, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		switch {
		case err == nil:
			return errors.New("an invalid VirtualService was admitted: the webhook is not being called yet")
		case !strings.Contains(err.Error(), "denied the request"):
			return fmt.Errorf("dry run failed for another reason: %w", err)
		}
		return nil
	}
}
