package analysis

import (
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
