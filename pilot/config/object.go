// Package config holds weft's config snapshot (Istio and Kubernetes
// resources as one immutable value), decoding of YAML/JSON files into it,
// and the rule that decides which resources of a new candidate are accepted.
package config

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// DefaultNamespace is where namespaced resources without a namespace live.
const DefaultNamespace = "default"

// Key identifies one resource. Kind is the bare kind ("VirtualService",
// "Service"); Namespace is empty for cluster-scoped kinds.
type Key struct{ Kind, Namespace, Name string }

// String renders k as "Kind ns/name" (or "Kind name" when cluster-scoped).
func (k Key) String() string {
	if k.Namespace == "" {
		return k.Kind + " " + k.Name
	}
	return k.Kind + " " + k.Namespace + "/" + k.Name
}

// Origin says where a resource was read from.
type Origin struct {
	File string
	// Doc is the 0-based index of the (non-empty) document in File.
	Doc int
	// Line is the 1-based line where the document's content starts.
	Line int
}

// Resource is any object a Snapshot holds: a pointer to one of the typed
// Istio or Kubernetes structs (e.g. *networkingv1.VirtualService).
type Resource interface {
	metav1.Object
	runtime.Object
}

// Object is one decoded resource with its identity and where it came from.
type Object struct {
	Key      Key
	Origin   Origin
	Resource Resource
}

// Foreign reports whether o is of a kind no Snapshot holds: a Kubernetes
// kind weft does not read (Deployment, ConfigMap, another project's CRD).
// Decoding checks it; Builders set it aside (see Builder.Foreign).
func (o Object) Foreign() bool { return o.Resource != nil && !isHeld(o.Resource) }
