package analysis

import (
	"sort"
	"strings"

	"istio.io/api/annotation"
	"istio.io/api/label"

	"github.com/weftmesh/weft/pilot/config"
)

// istioAnnotations is Istio's own annotation table, so weft knows exactly
// the annotations of the istio.io/api release it is built against.
var istioAnnotations = func() map[string]*annotation.Instance {
	m := map[string]*annotation.Instance{}
	for _, a := range annotation.AllResourceAnnotations() {
		m[a.Name] = a
	}
	return m
}()

// ignoredAnnotations are written by Istio's own controllers (injector,
// gateway controller, revision tags), not by users, so they are never
// reported, as in istioctl analyze.
var ignoredAnnotations = map[string]bool{
	annotation.SidecarStatus.Name:            true,
	annotation.GatewayControllerVersion.Name: true,
	annotation.IoIstioRev.Name:               true,
}

// isIstioDomain is true for keys like x.istio.io/name and istio.io/name.
func isIstioDomain(key string) bool {
	domain, _, ok := strings.Cut(key, "/")
	return ok && (domain == "istio.io" || strings.HasSuffix(domain, ".istio.io"))
}

// analyzeAnnotations checks the Istio annotations of every resource:
// unknown (IST0108, usually a typo that silently does nothing), deprecated
// (IST0135), or on a kind they do not apply to (IST0107, also ignored).
func analyzeAnnotations(c *Context) {
	c.Snap.Each(func(o config.Object) {
		anns := o.Resource.GetAnnotations()
		keys := make([]string, 0, len(anns))
		for k := range anns {
			if isIstioDomain(k) && !ignoredAnnotations[k] {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			checkAnnotation(c, o, k)
		}
	})
}

func checkAnnotation(c *Context, o config.Object, k string) {
	field := "metadata.annotations[" + k + "]"
	a := istioAnnotations[k]
	if a == nil {
		c.report(CodeUnknownAnnotation, o.Key, field, "unknown annotation %s: no Istio feature reads it (typo?)", k)
		return
	}
	if a.Deprecated && !supersededByLabel(o, k) {
		c.report(CodeDeprecatedAnnotation, o.Key, field, "annotation %s is deprecated%s and may stop working in a future Istio release", k, deprecationHint(k))
	}
	if kinds, ok := misplaced(a, o.Key.Kind); ok {
		c.report(CodeMisplacedAnnotation, o.Key, field, "annotation %s applies only to %s, not %s: it has no effect here", k, kinds, o.Key.Kind)
	}
}

// supersededByLabel: a resource carrying the sidecar.istio.io/inject label
// as well as the deprecated annotation has already migrated; it keeps the
// annotation for older injectors, so Istio stays quiet about it.
func supersededByLabel(o config.Object, k string) bool {
	_, has := o.Resource.GetLabels()[label.SidecarInject.Name]
	return k == annotation.SidecarInject.Name && has
}

func deprecationHint(k string) string {
	if k == annotation.SidecarInject.Name {
		return ` in favour of the "` + label.SidecarInject.Name + `" label`
	}
	return ""
}

// misplaced returns the kinds annotation a applies to when kind is not one
// of them; an annotation for Any kind is never misplaced.
func misplaced(a *annotation.Instance, kind string) (string, bool) {
	var kinds []string
	for _, r := range a.Resources {
		switch {
		case r == annotation.Any || r.String() == kind:
			return "", false
		case r != annotation.Unknown:
			kinds = append(kinds, r.String())
		}
	}
	// An annotation listing no kind at all cannot be misplaced anywhere.
	return strings.Join(kinds, ", "), len(kinds) > 0
}
