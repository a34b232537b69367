package analysis

import (
	"fmt"
	"reflect"
	"strings"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
	"github.com/weftmesh/weft/pilot/config"
)

// analyzeHosts reports destinations and DestinationRules naming a host
// no Service or ServiceEntry defines (WFT0101). VirtualService spec.hosts
// come from translate's UnknownHost diagnostics instead.
func analyzeHosts(c *Context) {
	for _, vs := range c.Snap.VirtualServices {
		key := config.KeyOf(vs)
		forEachDestination(vs, func(field string, d networkingv1.Destination) {
			c.checkHost(key, field+".host", d.Host, vs.Namespace)
		})
	}
	for _, dr := range c.Snap.DestinationRules {
		c.checkHost(config.KeyOf(dr), "spec.host", dr.Spec.Host, dr.Namespace)
	}
}

func (c *Context) checkHost(key config.Key, field, host, ns string) {
	fqdn := config.ResolveHost(host, ns)
	if host == "" || strings.HasPrefix(fqdn, "*") || c.hosts[fqdn] != nil {
		return
	}
	c.report(hostCode(key.Kind), key, field, "host %s not found: no Service or ServiceEntry defines it", fqdn)
}

// forEachDestination visits every destination of vs with its field path.
func forEachDestination(vs *networkingv1.VirtualService, fn func(string, networkingv1.Destination)) {
	for i, r := range vs.Spec.HTTP {
		for j, d := range r.Route {
			fn(fmt.Sprintf("spec.http[%d].route[%d].destination", i, j), d.Destination)
		}
		if r.Mirror != nil {
			fn(fmt.Sprintf("spec.http[%d].mirror", i), *r.Mirror)
		}
	}
	for i, r := range vs.Spec.TCP {
		for j, d := range r.Route {
			fn(fmt.Sprintf("spec.tcp[%d].route[%d].destination", i, j), d.Destination)
		}
	}
	for i, r := range vs.Spec.TLS {
		for j, d := range r.Route {
			fn(fmt.Sprintf("spec.tls[%d].route[%d].destination", i, j), d.Destination)
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
		for i, r := range vs.Spec.HTTP {
			if !matchesAll(r.Match) || i == len(vs.Spec.HTTP)-1 {
				continue
			}
			for j := i + 1; j < len(vs.Spec.HTTP); j++ {
				c.report(CodeUnreachableRule, config.KeyOf(vs), fmt.Sprintf("spec.http[%d]", j),
					"rule is unreachable: spec.http[%d] before it matches every request; put catch-all rules last", i)
			}
			break
		}
	}
}

// matchesAll is true for no match at all, or any match that constrains
// nothing (an empty match, or only uri prefix "/").
func matchesAll(ms []networkingv1.HTTPMatchRequest) bool {
	if len(ms) == 0 {
		return true
	}
	for _, m := range ms {
		m.Name, m.StatPrefix = "", ""
		if m.URI != nil && *m.URI == (networkingv1.StringMatch{Prefix: "/"}) {
			m.URI = nil
		}
		if reflect.ValueOf(m).IsZero() {
			return true
		}
	}
	return false
}
