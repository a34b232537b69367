package analysis

import (
	"sort"
	"strings"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// injected says whether pods created in a namespace get a proxy.
func injected(nsLabels map[string]string) bool {
	return nsLabels["istio-injection"] == "enabled" || nsLabels["istio.io/rev"] != ""
}

// analyzeInjection reports namespaces with pods that are not labelled for
// injection (WFT0108) and pods of injected namespaces that run without a
// proxy (WFT0109), i.e. outside the mesh's mTLS and routing.
func analyzeInjection(c *Context) {
	withPods := map[string]bool{}
	for _, p := range c.Snap.Pods {
		withPods[p.Namespace] = true
	}
	nsInjected := map[string]bool{}
	for _, ns := range c.Snap.Namespaces {
		nsInjected[ns.Name] = injected(ns.Labels)
		if !nsInjected[ns.Name] && withPods[ns.Name] && !systemNamespaces[ns.Name] && ns.Labels["istio-injection"] != "disabled" {
			c.report(CodeNamespaceNotInjected, config.KeyOf(ns), "metadata.labels",
				"namespace %s has pods but no istio-injection=enabled or istio.io/rev label: its new pods get no proxy", ns.Name)
		}
	}
	for _, p := range c.Snap.Pods {
		if !nsInjected[p.Namespace] || p.Labels[mesh.TLSModeLabel] != "" || p.Annotations["sidecar.istio.io/inject"] == "false" {
			continue
		}
		c.report(CodePodWithoutProxy, config.KeyOf(p), "metadata.labels",
			"pod has no proxy (label %s absent) although namespace %s is injected: restart it to inject one", mesh.TLSModeLabel, p.Namespace)
	}
}

// knownAnnotations are the *.istio.io annotations Istio defines.
var knownAnnotations = map[string]bool{}

func init() {
	for _, a := range strings.Fields(`
sidecar.istio.io/inject sidecar.istio.io/status sidecar.istio.io/proxyImage sidecar.istio.io/proxyCPU
sidecar.istio.io/proxyMemory sidecar.istio.io/proxyCPULimit sidecar.istio.io/proxyMemoryLimit
sidecar.istio.io/logLevel sidecar.istio.io/componentLogLevel sidecar.istio.io/interceptionMode
sidecar.istio.io/userVolume sidecar.istio.io/userVolumeMount sidecar.istio.io/rewriteAppHTTPProbers
sidecar.istio.io/statsInclusionPrefixes sidecar.istio.io/statsInclusionSuffixes
sidecar.istio.io/statsInclusionRegexps sidecar.istio.io/extraStatTags sidecar.istio.io/bootstrapOverride
sidecar.istio.io/discoveryAddress sidecar.istio.io/agentLogLevel sidecar.istio.io/enableCoreDump
sidecar.istio.io/statsHistogramBuckets sidecar.istio.io/nativeSidecar sidecar.istio.io/proxyImageType
traffic.sidecar.istio.io/includeOutboundIPRanges traffic.sidecar.istio.io/excludeOutboundIPRanges
traffic.sidecar.istio.io/includeInboundPorts traffic.sidecar.istio.io/excludeInboundPorts
traffic.sidecar.istio.io/includeOutboundPorts traffic.sidecar.istio.io/excludeOutboundPorts
traffic.sidecar.istio.io/excludeInterfaces traffic.sidecar.istio.io/kubevirtInterfaces
proxy.istio.io/config proxy.istio.io/overrides status.sidecar.istio.io/port
readiness.status.sidecar.istio.io/applicationPorts readiness.status.sidecar.istio.io/initialDelaySeconds
readiness.status.sidecar.istio.io/periodSeconds readiness.status.sidecar.istio.io/failureThreshold
inject.istio.io/templates istio.io/rev istio.io/dry-run networking.istio.io/exportTo
prometheus.istio.io/merge-metrics ambient.istio.io/redirection ambient.istio.io/bypass-inbound-capture
`) {
		knownAnnotations[a] = true
	}
}

// isIstioDomain is true for keys like x.istio.io/name and istio.io/name.
func isIstioDomain(key string) bool {
	domain, _, ok := strings.Cut(key, "/")
	return ok && (domain == "istio.io" || strings.HasSuffix(domain, ".istio.io"))
}

// analyzeAnnotations reports *.istio.io annotations Istio does not define
// (WFT0111): usually a typo, silently doing nothing.
func analyzeAnnotations(c *Context) {
	c.Snap.Each(func(o config.Object) {
		anns := o.Resource.GetAnnotations()
		keys := make([]string, 0, len(anns))
		for k := range anns {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if isIstioDomain(k) && !knownAnnotations[k] {
				c.report(CodeUnknownAnnotation, o.Key, "metadata.annotations["+k+"]",
					"unknown annotation %s: no Istio feature reads it (typo?)", k)
			}
		}
	})
}
