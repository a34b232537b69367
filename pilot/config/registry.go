package config

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// KindInfo describes a supported kind for sources that fetch objects by
// API resource, such as the Kubernetes source.
type KindInfo struct {
	Name       string
	GVK        schema.GroupVersionKind // the stored (first served) version
	Namespaced bool
	New        func() Resource
	// Istio is true for Istio's kinds (proto specs, IstioStatus).
	Istio bool
	// Implemented is false for Istio kinds weft decodes but does not act on.
	Implemented bool
}

// KindInfos lists every supported kind in Kinds order.
func KindInfos() []KindInfo {
	out := make([]KindInfo, len(kinds))
	for i, k := range kinds {
		out[i] = KindInfo{Name: k.name, GVK: k.storedGVK(), Namespaced: k.namespaced, New: k.newObject,
			Istio: k.isIstio(), Implemented: k.implemented}
	}
	return out
}

// NewObject returns an empty object of the named kind.
func NewObject(kind string) (Resource, error) {
	k, ok := kindsByName[kind]
	if !ok {
		return nil, fmt.Errorf("unsupported kind %q", kind)
	}
	return k.newObject(), nil
}
