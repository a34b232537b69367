package analysis

import (
	"fmt"
	"sort"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/weftmesh/weft/pilot/config"
)

// deprecatedHints name the replacement of a deprecated field or enum value,
// keyed by its proto full name. The deprecation itself comes from
// istio.io/api's descriptors, so a field deprecated in a newer API release
// is reported without a hint rather than missed.
var deprecatedHints = map[protoreflect.FullName]string{
	"istio.networking.v1alpha3.HTTPFaultInjection.Delay.percent":                        "use percentage",
	"istio.networking.v1alpha3.HTTPRoute.mirror_percent":                                "use mirrorPercentage",
	"istio.networking.v1alpha3.CorsPolicy.allow_origin":                                 "use allowOrigins",
	"istio.networking.v1alpha3.OutlierDetection.consecutive_errors":                     "use consecutiveGatewayErrors or consecutive5xxErrors",
	"istio.networking.v1alpha3.LoadBalancerSettings.ConsistentHashLB.minimum_ring_size": "use ringHash.minimumRingSize",
	"istio.networking.v1alpha3.LoadBalancerSettings.LEAST_CONN":                         "use LEAST_REQUEST",
}

// ignoredFields are fields Istio accepts but no longer acts on without the
// API marking them deprecated; istioctl analyze reports them as IST0002 too.
var ignoredFields = map[protoreflect.FullName]bool{
	"istio.networking.v1alpha3.OutboundTrafficPolicy.egress_proxy": true,
}

// analyzeDeprecated reports (IST0002) every field set in an Istio spec that
// the API marks deprecated or no longer honours, and every deprecated enum
// value in use: still accepted today, but due for removal, and usually
// superseded by a field with different semantics.
func analyzeDeprecated(c *Context) {
	c.Snap.Each(func(o config.Object) {
		spec := config.Spec(o.Resource)
		if spec == nil {
			return
		}
		walkDeprecated(spec.ProtoReflect(), "spec", func(path, what string) {
			c.report(CodeDeprecated, o.Key, path, "%s", what)
		})
	})
}

// walkDeprecated visits the set fields of m in declaration order (so
// messages come out in a stable order) and calls fn for each deprecated use.
func walkDeprecated(m protoreflect.Message, path string, fn func(path, what string)) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if !m.Has(fd) {
			continue
		}
		p := path + "." + fd.JSONName()
		if msg, ok := deprecatedFieldMessage(fd); ok {
			fn(p, msg)
		}
		v := m.Get(fd)
		switch {
		case fd.IsList():
			for j, l := 0, v.List(); j < l.Len(); j++ {
				walkDeprecatedValue(fd, l.Get(j), fmt.Sprintf("%s[%d]", p, j), fn)
			}
		case fd.IsMap():
			walkDeprecatedMap(fd, v.Map(), p, fn)
		default:
			walkDeprecatedValue(fd, v, p, fn)
		}
	}
}

// walkDeprecatedMap visits map values in key order.
func walkDeprecatedMap(fd protoreflect.FieldDescriptor, mp protoreflect.Map, path string, fn func(path, what string)) {
	var keys []string
	vals := map[string]protoreflect.Value{}
	mp.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
		keys = append(keys, k.String())
		vals[k.String()] = v
		return true
	})
	sort.Strings(keys)
	for _, k := range keys {
		walkDeprecatedValue(fd.MapValue(), vals[k], path+"["+k+"]", fn)
	}
}

// walkDeprecatedValue descends into messages and checks enum values; other
// scalars carry nothing to deprecate beyond their field.
func walkDeprecatedValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string, fn func(path, what string)) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		walkDeprecated(v.Message(), path, fn)
	case protoreflect.EnumKind:
		ev := fd.Enum().Values().ByNumber(v.Enum())
		if ev == nil {
			return
		}
		if opts, ok := ev.Options().(*descriptorpb.EnumValueOptions); ok && opts.GetDeprecated() {
			fn(path, withHint(fmt.Sprintf("value %s is deprecated", ev.Name()), ev.FullName()))
		}
	}
}

// deprecatedFieldMessage says whether setting fd is a deprecated use, and how.
func deprecatedFieldMessage(fd protoreflect.FieldDescriptor) (string, bool) {
	if ignoredFields[fd.FullName()] {
		return fmt.Sprintf("%s is ignored (no longer supported)", fd.JSONName()), true
	}
	if opts, ok := fd.Options().(*descriptorpb.FieldOptions); ok && opts.GetDeprecated() {
		return withHint(fmt.Sprintf("%s is deprecated", fd.JSONName()), fd.FullName()), true
	}
	return "", false
}

func withHint(msg string, name protoreflect.FullName) string {
	if h := deprecatedHints[name]; h != "" {
		return msg + "; " + h
	}
	return msg
}
