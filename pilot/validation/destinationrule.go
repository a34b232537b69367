package validation

//lint:file-ignore SA1019 Istio still honours its deprecated fields (fault.delay.percent, mirrorPercent, LEAST_CONN, consecutiveErrors, minimumRingSize), and so must weft.

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateDestinationRule checks one DestinationRule the way Istio does.
// A missing required field is reported on its parent, so that the error
// points at a line that exists in the document.
func ValidateDestinationRule(dr *networkingv1.DestinationRule) field.ErrorList {
	spec, p := &dr.Spec, field.NewPath("spec")
	var errs field.ErrorList
	if spec.GetHost() == "" {
		errs = append(errs, field.Required(p, "host is required"))
	} else {
		errs = append(errs, validateWildcardDomain(p.Child("host"), spec.GetHost())...)
	}
	errs = append(errs, validateTrafficPolicy(p.Child("trafficPolicy"), dr.Namespace, spec.GetTrafficPolicy())...)
	errs = append(errs, validateSubsets(p.Child("subsets"), dr.Namespace, spec.GetSubsets())...)
	ws := spec.GetWorkloadSelector()
	errs = append(errs, validateVisibility(p.Child("exportTo"), dr.Namespace, spec.GetExportTo(), visibilityRules{selector: ws != nil})...)
	if ws != nil {
		errs = append(errs, validateSelectorLabels(p.Child("workloadSelector").Child("matchLabels"), ws.GetMatchLabels())...)
	}
	return errs
}

// validateSubsets requires unique DNS-label names: VirtualServices refer
// to subsets by name, and the name becomes part of Envoy cluster names.
func validateSubsets(p *field.Path, ns string, subsets []*networking.Subset) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, s := range subsets {
		sp, name := p.Index(i), s.GetName()
		switch {
		case name == "":
			errs = append(errs, field.Required(sp, "subset name is required"))
		case seen[name]:
			errs = append(errs, duplicate(sp.Child("name"), name, "duplicate subset name %q", name))
		case len(validation.IsDNS1123Label(name)) > 0:
			errs = append(errs, invalid(sp.Child("name"), name, "subset name %q must be a DNS label (lower-case letters, digits and '-')", name))
		}
		seen[name] = true
		errs = append(errs, validateLabels(sp.Child("labels"), s.GetLabels())...)
		errs = append(errs, validateTrafficPolicy(sp.Child("trafficPolicy"), ns, s.GetTrafficPolicy())...)
	}
	return errs
}

// validateTrafficPolicy checks a policy and its port-level overrides. An
// empty policy is refused (Istio's rule): it is almost always a mistake
// in indentation that silently drops the settings meant for it.
func validateTrafficPolicy(p *field.Path, ns string, tp *networking.TrafficPolicy) field.ErrorList {
	if tp == nil {
		return nil
	}
	if isEmptyTrafficPolicy(tp) {
		return field.ErrorList{field.Required(p, "a traffic policy needs at least one setting")}
	}
	if tp.GetTunnel() != nil && tp.GetProxyProtocol() != nil {
		return field.ErrorList{field.Forbidden(p.Child("proxyProtocol"), "proxyProtocol cannot be combined with tunnel")}
	}
	errs := validatePortPolicy(p, ns, tp.GetLoadBalancer(), tp.GetConnectionPool(), tp.GetOutlierDetection(), tp.GetTls())
	for i, pl := range tp.GetPortLevelSettings() {
		errs = append(errs, validatePortLevelPolicy(p.Child("portLevelSettings").Index(i), ns, pl)...)
	}
	return append(errs, validateTunnel(p.Child("tunnel"), tp.GetTunnel())...)
}

func isEmptyTrafficPolicy(tp *networking.TrafficPolicy) bool {
	return tp.GetLoadBalancer() == nil && tp.GetConnectionPool() == nil && tp.GetOutlierDetection() == nil &&
		tp.GetTls() == nil && len(tp.GetPortLevelSettings()) == 0 && tp.GetTunnel() == nil &&
		tp.GetProxyProtocol() == nil && tp.GetRetryBudget() == nil
}

// validatePortLevelPolicy checks one port-level override: it needs a port
// and something to override. Istio does not range-check the port number.
func validatePortLevelPolicy(p *field.Path, ns string, pl *networking.TrafficPolicy_PortTrafficPolicy) field.ErrorList {
	var errs field.ErrorList
	if pl.GetPort() == nil {
		errs = append(errs, field.Required(p, "a port-level policy needs a port"))
	}
	if pl.GetLoadBalancer() == nil && pl.GetConnectionPool() == nil && pl.GetOutlierDetection() == nil && pl.GetTls() == nil {
		return append(errs, field.Required(p, "a port-level policy needs at least one of loadBalancer, connectionPool, outlierDetection or tls"))
	}
	return append(errs, validatePortPolicy(p, ns, pl.GetLoadBalancer(), pl.GetConnectionPool(), pl.GetOutlierDetection(), pl.GetTls())...)
}

// validatePortPolicy checks the parts a TrafficPolicy shares with its
// port-level overrides.
func validatePortPolicy(p *field.Path, ns string, lb *networking.LoadBalancerSettings, cp *networking.ConnectionPoolSettings,
	od *networking.OutlierDetection, tls *networking.ClientTLSSettings) field.ErrorList {
	errs := validateLoadBalancer(p.Child("loadBalancer"), lb)
	errs = append(errs, validateConnectionPool(p.Child("connectionPool"), cp)...)
	errs = append(errs, validateOutlierDetection(p.Child("outlierDetection"), od)...)
	return append(errs, validateClientTLS(p.Child("tls"), ns, tls)...)
}

// validateTunnel checks tunnel settings; Istio keeps the protocol a string.
func validateTunnel(p *field.Path, t *networking.TrafficPolicy_TunnelSettings) field.ErrorList {
	if t == nil {
		return nil
	}
	errs := oneOf(p.Child("protocol"), t.GetProtocol(), "CONNECT", "POST")
	switch host := t.GetTargetHost(); {
	case host == "":
		errs = append(errs, field.Required(p, "tunnel needs a targetHost"))
	case !isIP(host) && validateFQDN(host) != "":
		errs = append(errs, invalid(p.Child("targetHost"), host, "tunnel targetHost %q is neither a DNS name nor an IP address", host))
	}
	if t.GetTargetPort() == 0 {
		return append(errs, field.Required(p, "tunnel needs a targetPort"))
	}
	return append(errs, validatePort(p.Child("targetPort"), t.GetTargetPort())...)
}

func nonNegative(p *field.Path, v int32) field.ErrorList {
	if v < 0 {
		return field.ErrorList{invalid(p, v, "must not be negative, got %d", v)}
	}
	return nil
}

// validateSelectorLabels checks a workloadSelector's labels as Istio does:
// only empty keys and "*" are refused, not every key Kubernetes would.
func validateSelectorLabels(p *field.Path, labels map[string]string) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(labels) {
		switch {
		case k == "":
			errs = append(errs, invalid(p.Key(k), k, "selector label keys must not be empty"))
		case strings.Contains(k, "*") || strings.Contains(labels[k], "*"):
			errs = append(errs, invalid(p.Key(k), labels[k], "selector labels cannot hold wildcards (%s=%s)", k, labels[k]))
		}
	}
	return errs
}
