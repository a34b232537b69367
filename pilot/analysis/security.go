package analysis

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"

	networking "istio.io/api/networking/v1alpha3"
	security "istio.io/api/security/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
)

// analyzeMTLS reports DestinationRules that disable TLS towards workloads
// whose PeerAuthentication is STRICT (WFT0107): the server refuses the
// plaintext connections, so every request fails. A tls block without a
// mode is DISABLE too: that is the enum's default, as in Istio.
func analyzeMTLS(c *Context) {
	for _, dr := range c.Snap.DestinationRules {
		svc := c.serviceOf(dr.Spec.GetHost(), dr.Namespace)
		if svc == nil || !c.meshed(svc) {
			continue
		}
		pa := c.strictPolicyFor(svc)
		if pa == nil {
			continue
		}
		forEachTLS(dr, func(field string, tls *networking.ClientTLSSettings) {
			if tls.GetMode() == networking.ClientTLSSettings_DISABLE {
				c.report(CodeMTLSConflict, config.KeyOf(dr), field+".mode",
					"TLS is disabled towards %s/%s, but PeerAuthentication %s/%s requires STRICT mTLS there: connections will be refused; use ISTIO_MUTUAL or drop tls",
					svc.Namespace, svc.Name, pa.Namespace, pa.Name)
			}
		})
	}
}

// meshed says whether svc's workloads have proxies, which is what makes
// STRICT bite: a selected pod labelled security.istio.io/tlsMode. Known
// pods or endpoints without that label are outside the mesh; a Service with
// neither (routing config analyzed on its own) is assumed meshed.
func (c *Context) meshed(svc *corev1.Service) bool {
	pods := 0
	for _, p := range c.Snap.Pods {
		if p.Namespace != svc.Namespace || len(svc.Spec.Selector) == 0 ||
			!labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(p.Labels)) {
			continue
		}
		if p.Labels[mesh.TLSModeLabel] != "" {
			return true
		}
		pods++
	}
	if pods > 0 {
		return false
	}
	for _, es := range c.Snap.EndpointSlices {
		if es.Namespace == svc.Namespace && es.Labels[discoveryv1.LabelServiceName] == svc.Name {
			return false
		}
	}
	return true
}

// strictPolicyFor returns the PeerAuthentication that makes svc's pods
// STRICT, following Istio's precedence: workload, namespace, then mesh.
func (c *Context) strictPolicyFor(svc *corev1.Service) *securityv1.PeerAuthentication {
	var ns, root *securityv1.PeerAuthentication
	for _, pa := range c.Snap.PeerAuthentications {
		match := pa.Spec.GetSelector().GetMatchLabels()
		switch {
		case len(match) > 0:
			if pa.Namespace == svc.Namespace && selects(match, svc.Spec.Selector) && modeOf(pa) != unset {
				return strictOrNil(pa)
			}
		case pa.Namespace == svc.Namespace && ns == nil && modeOf(pa) != unset:
			ns = pa
		case pa.Namespace == translate.RootNamespace && root == nil:
			root = pa
		}
	}
	if ns != nil {
		return strictOrNil(ns)
	}
	if root != nil {
		return strictOrNil(root)
	}
	return nil
}

// selects is true when a workload selector matches the pods a Service
// selects (its labels are a subset of the Service's selector).
func selects(match, svcSelector map[string]string) bool {
	return len(svcSelector) > 0 && labels.SelectorFromSet(match).Matches(labels.Set(svcSelector))
}

const unset = security.PeerAuthentication_MutualTLS_UNSET

// modeOf is the mode a PeerAuthentication sets; UNSET (also when mtls is
// left out) inherits.
func modeOf(pa *securityv1.PeerAuthentication) security.PeerAuthentication_MutualTLS_Mode {
	return pa.Spec.GetMtls().GetMode()
}

func strictOrNil(pa *securityv1.PeerAuthentication) *securityv1.PeerAuthentication {
	if modeOf(pa) == security.PeerAuthentication_MutualTLS_STRICT {
		return pa
	}
	return nil
}
