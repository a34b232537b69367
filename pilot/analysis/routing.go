package analysis

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/config"
)

// analyzeHosts reports destinations and DestinationRules naming a host
// no Service or ServiceEntry visible to them defines (IST0101, IST0174),
// with exportTo as Istio's analyzers apply it (exportto.go). VirtualService
// spec.hosts come from translate's UnknownHost diagnostics instead.
func analyzeHosts(c *Context) {
	scopes := newHostScopes(c.Snap)
	for _, vs := range c.Snap.VirtualServices {
		key := config.KeyOf(vs)
		forEachDestination(vs, func(field string, d *networking.Destination) {
			c.checkHost(scopes, key, field+".host", d.GetHost(), vs.Spec.GetExportTo())
		})
	}
	for _, dr := range c.Snap.DestinationRules {
		c.checkHost(scopes, config.KeyOf(dr), "spec.host", dr.Spec.GetHost(), dr.Spec.GetExportTo())
	}
}

func (c *Context) checkHost(scopes hostScopes, key config.Key, field, host string, exportTo []string) {
	fqdn := config.ResolveHost(host, key.Namespace)
	if host == "" || strings.HasPrefix(fqdn, "*") || scopes.visible(fqdn, key.Namespace, exportTo) {
		return
	}
	if scopes[fqdn] != nil {
		c.report(hostCode(key.Kind), key, field,
			"host %s not found: its Service or ServiceEntry is not exported to the namespaces this %s is exported to", fqdn, key.Kind)
		return
	}
	c.report(hostCode(key.Kind), key, field, "host %s not found: no Service or ServiceEntry defines it", fqdn)
}

// forEachDestination visits every destination of vs with its field path;
// one left out is passed as nil (the getters read nil as empty).
func forEachDestination(vs *networkingv1.VirtualService, fn func(string, *networking.Destination)) {
	for i, r := range vs.Spec.GetHttp() {
		for j, d := range r.GetRoute() {
			fn(fmt.Sprintf("spec.http[%d].route[%d].destination", i, j), d.GetDestination())
		}
		if r.GetMirror() != nil {
			fn(fmt.Sprintf("spec.http[%d].mirror", i), r.GetMirror())
		}
		for j, m := range r.GetMirrors() {
			fn(fmt.Sprintf("spec.http[%d].mirrors[%d].destination", i, j), m.GetDestination())
		}
	}
	for i, r := range vs.Spec.GetTcp() {
		for j, d := range r.GetRoute() {
			fn(fmt.Sprintf("spec.tcp[%d].route[%d].destination", i, j), d.GetDestination())
		}
	}
	for i, r := range vs.Spec.GetTls() {
		for j, d := range r.GetRoute() {
			fn(fmt.Sprintf("spec.tls[%d].route[%d].destination", i, j), d.GetDestination())
		}
	}
}

func analyzeTranslateDiagnostics(c *Context) {
	for _, d := range c.Mesh.Diagnostics {
		code, ok := diagnosticCode(d.Reason, d.Ref.Kind)
		if !ok {
			continue
		}
		key := config.Key{Kind: d.Ref.Kind, Namespace: d.Ref.Namespace, Name: d.Ref.Name}
		c.report(code, key, d.Field, "%s", d.Message)
	}
}

// analyzeUnreachable reports HTTP rules after one that matches every
// request: Envoy takes the first match, so they never apply (WFT0105).
func analyzeUnreachable(c *Context) {
	for _, vs := range c.Snap.VirtualServices {
		routes := vs.Spec.GetHttp()
		for i, r := range routes {
			if !matchesAll(r.GetMatch()) || i == len(routes)-1 {
				continue
			}
			for j := i + 1; j < len(routes); j++ {
				c.report(CodeUnreachableRule, config.KeyOf(vs), fmt.Sprintf("spec.http[%d]", j),
					"rule is unreachable: spec.http[%d] before it matches every request; put catch-all rules last", i)
			}
			break
		}
	}
}

// matchesAll is true for no match at all, or any match that constrains
// nothing (an empty match, or only uri prefix "/").
func matchesAll(ms []*networking.HTTPMatchRequest) bool {
	if len(ms) == 0 {
		return true
	}
	for _, m := range ms {
		if constrainsNothing(m) {
			return true
		}
	}
	return false
}

// constrainsNothing is true when every field m sets is one that does not
// narrow what it matches: its name, its stat prefix, or uri prefix "/".
// Walking the set fields keeps fields Istio adds later counting as
// constraints.
func constrainsNothing(m *networking.HTTPMatchRequest) bool {
	nothing := true
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		switch fd.JSONName() {
		case "name", "statPrefix":
			return true
		case "uri":
			if m.GetUri().GetPrefix() == "/" {
				return true
			}
		}
		nothing = false
		return false
	})
	return nothing
}
