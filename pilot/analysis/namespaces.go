package analysis

import (
	"strings"

	"istio.io/api/label"

	"github.com/weftmesh/weft/pilot/config"
)

// injectionLabel is the sidecar injection label; istio.io/api/label does
// not define it (it predates the table).
const injectionLabel = "istio-injection"

// analyzeInjectionLabels reports namespaces carrying more than one kind of
// injection label (IST0123): injectors and the ambient controller each act
// on their own label, so which one wins is undefined. As in Istio, the
// revision and dataplane-mode labels only count while istio-injection is
// absent or "enabled" (istio-injection=disabled overrides them anyway), and
// istio-system is skipped.
func analyzeInjectionLabels(c *Context) {
	for _, ns := range c.Snap.Namespaces {
		if ns.Name == "istio-system" {
			continue
		}
		var found []string
		inj, hasInj := ns.Labels[injectionLabel]
		if hasInj {
			found = append(found, injectionLabel+"="+inj)
		}
		for _, l := range []string{label.IoIstioRev.Name, label.IoIstioDataplaneMode.Name} {
			if v, ok := ns.Labels[l]; ok && (!hasInj || inj == "enabled") {
				found = append(found, l+"="+v)
			}
		}
		if len(found) > 1 {
			c.report(CodeMultipleInjectionLabels, config.KeyOf(ns), "metadata.labels",
				"namespace has several injection labels (%s): which one applies is undefined; keep one", strings.Join(found, ", "))
		}
	}
}
