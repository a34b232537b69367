package injector

import (
	"strconv"

	"istio.io/api/label"
	corev1 "k8s.io/api/core/v1"
)

// LabelInjection is the namespace label enabling injection (enabled |
// disabled); istio.io/api documents it in prose only, so it has no constant.
const LabelInjection = "istio-injection"

// Labels from istio.io/api (the source).
var (
	LabelRev       = label.IoIstioRev.Name // namespace or pod: revision name
	LabelTLSMode   = label.SecurityTlsMode.Name
	LabelCanonName = label.ServiceCanonicalName.Name
	LabelCanonRev  = label.ServiceCanonicalRevision.Name
)

// Selected reports whether this weftd (s.Revision) should inject pod
// created in a namespace with nsLabels, as Istio's webhook selectors do:
//   - pod label sidecar.istio.io/inject (or, without the label, the legacy
//     annotation) "false" opts out, whatever the namespace says;
//   - namespace istio-injection=disabled opts out;
//   - namespace istio-injection=enabled selects the default revision;
//   - namespace (or pod) istio.io/rev=R selects revision R;
//   - pod label sidecar.istio.io/inject=true selects the default revision
//     in a namespace without labels.
func Selected(pod *corev1.Pod, nsLabels map[string]string, s Settings) bool {
	if podOptOut(pod) || pod.Spec.HostNetwork {
		return false
	}
	if nsLabels[LabelInjection] == "disabled" {
		return false
	}
	rev := revisionName(s.Revision)
	if nsLabels[LabelInjection] == "enabled" {
		return rev == "default"
	}
	if r, ok := nsLabels[LabelRev]; ok {
		return revisionName(r) == rev
	}
	if r, ok := pod.Labels[LabelRev]; ok {
		return revisionName(r) == rev
	}
	v, ok := injectValue(pod)
	return ok && v && rev == "default"
}

func revisionName(r string) string {
	if r == "" {
		return "default"
	}
	return r
}

// injectValue is the pod's sidecar.istio.io/inject: the label wins over the
// annotation. Unparseable values count as absent here; Inject rejects them.
func injectValue(pod *corev1.Pod) (value, set bool) {
	v, ok := pod.Labels[AnnInject]
	if !ok {
		v, ok = pod.Annotations[AnnInject]
	}
	if !ok {
		return false, false
	}
	b, err := strconv.ParseBool(v)
	return b, err == nil
}

func podOptOut(pod *corev1.Pod) bool {
	v, ok := injectValue(pod)
	return ok && !v
}

// skip reports pods Inject leaves unchanged whatever selected them.
func skip(pod *corev1.Pod) bool {
	_, injected := pod.Annotations[AnnStatus]
	return injected || pod.Spec.HostNetwork || podOptOut(pod)
}
