package analysis

import (
	"strings"

	"istio.io/api/annotation"

	"github.com/weftmesh/weft/pilot/config"
)

// exportAll is exportTo's "*"; exportLocal its ".".
const (
	exportAll   = "*"
	exportLocal = "."
)

// hostScopes maps each host a Service or ServiceEntry defines to the
// namespaces it is exported to ("*": all), as Istio's analyzers index them.
type hostScopes map[string]map[string]bool

func newHostScopes(s *config.Snapshot) hostScopes {
	h := hostScopes{}
	for _, se := range s.ServiceEntries {
		scopes := exportScopes(se.Spec.GetExportTo(), se.Namespace)
		for _, host := range se.Spec.GetHosts() {
			h.add(config.ResolveHost(host, se.Namespace), scopes)
		}
	}
	for _, ks := range s.Services {
		var list []string
		if v := ks.Annotations[annotation.NetworkingExportTo.Name]; v != "" {
			for _, e := range strings.Split(v, ",") {
				list = append(list, strings.TrimSpace(e))
			}
		}
		h.add(ks.Name+"."+ks.Namespace+"."+config.DomainSuffix, exportScopes(list, ks.Namespace))
	}
	return h
}

func (h hostScopes) add(host string, scopes []string) {
	if h[host] == nil {
		h[host] = map[string]bool{}
	}
	for _, s := range scopes {
		h[host][s] = true
	}
}

// visible reports whether config in ns with exportTo may reach host, as
// Istio's analyzers decide it: a host exported everywhere, or to one of
// the namespaces the config itself is exported to (its own when it sets
// none), or a wildcard host exported everywhere or to ns.
func (h hostScopes) visible(host, ns string, exportTo []string) bool {
	if h[host][exportAll] {
		return true
	}
	if len(exportTo) == 0 {
		exportTo = []string{exportLocal}
	}
	for _, e := range exportTo {
		if e == exportLocal {
			e = ns
		}
		if h[host][e] {
			return true
		}
	}
	return h.wildcardVisible(host, ns)
}

func (h hostScopes) wildcardVisible(host, ns string) bool {
	for wild, scopes := range h {
		if strings.HasPrefix(wild, "*") && (scopes[exportAll] || scopes[ns]) &&
			strings.HasSuffix(strings.TrimPrefix(host, "*"), strings.TrimPrefix(wild, "*")) {
			return true
		}
	}
	return false
}
