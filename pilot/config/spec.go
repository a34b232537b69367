package config

import (
	"reflect"
	"sync"

	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/api/equality"
)

// Istio's Kubernetes types (istio.io/client-go) hold their spec and status
// as proto messages by value in fields named Spec and Status.
var protoFields sync.Map // reflect.Type -> [2]int: field indexes of Spec, Status (-1 when not a proto)

func protoFieldIndexes(t reflect.Type) [2]int {
	if v, ok := protoFields.Load(t); ok {
		return v.([2]int)
	}
	idx := [2]int{-1, -1}
	msg := reflect.TypeOf((*proto.Message)(nil)).Elem()
	for i, name := range []string{"Spec", "Status"} {
		if f, ok := t.FieldByName(name); ok && reflect.PointerTo(f.Type).Implements(msg) {
			idx[i] = f.Index[0]
		}
	}
	protoFields.Store(t, idx)
	return idx
}

func protoField(r Resource, which int) proto.Message {
	v := reflect.ValueOf(r)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	i := protoFieldIndexes(v.Elem().Type())[which]
	if i < 0 {
		return nil
	}
	return v.Elem().Field(i).Addr().Interface().(proto.Message)
}

// specOf returns the spec of an Istio object as a proto message (pointing
// into r), or nil for Kubernetes kinds.
func specOf(r Resource) proto.Message { return protoField(r, 0) }

// statusOf returns the status of an Istio object (IstioStatus), or nil.
func statusOf(r Resource) proto.Message { return protoField(r, 1) }

// Spec returns the spec of an Istio object as a proto message pointing into
// r (so it must not be modified), or nil for Kubernetes kinds.
func Spec(r Resource) proto.Message { return specOf(r) }

// resourceEqual compares two objects: proto specs and statuses with
// proto.Equal (reflect.DeepEqual sees their internal caches), everything
// else the way Kubernetes does.
func resourceEqual(a, b Resource) bool {
	sa, sb := specOf(a), specOf(b)
	if sa == nil {
		return equality.Semantic.DeepEqual(a, b)
	}
	if !proto.Equal(sa, sb) || !proto.Equal(statusOf(a), statusOf(b)) {
		return false
	}
	return equality.Semantic.DeepEqual(a.GetObjectKind().GroupVersionKind(), b.GetObjectKind().GroupVersionKind()) &&
		equality.Semantic.DeepEqual(metaOf(a), metaOf(b))
}

// metaOf returns the ObjectMeta an object embeds (nil if none).
func metaOf(r Resource) any {
	v := reflect.ValueOf(r).Elem().FieldByName("ObjectMeta")
	if !v.IsValid() {
		return nil
	}
	return v.Addr().Interface()
}

// Status returns the status of an Istio object (IstioStatus) pointing into
// r, or nil for Kubernetes kinds.
func Status(r Resource) proto.Message { return statusOf(r) }
