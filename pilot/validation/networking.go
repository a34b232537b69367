package validation

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
)

// ValidateWorkloadEntry checks one WorkloadEntry.
func ValidateWorkloadEntry(we *networkingv1.WorkloadEntry) field.ErrorList {
	return validateWorkloadEntrySpec(field.NewPath("spec"), &we.Spec)
}

// ValidateGateway checks one Gateway: every server needs a port and hosts.
func ValidateGateway(gw *networkingv1.Gateway) field.ErrorList {
	p := field.NewPath("spec")
	var errs field.ErrorList
	if len(gw.Spec.Servers) == 0 {
		errs = append(errs, field.Required(p.Child("servers"), "a Gateway needs at least one server"))
	}
	for i, s := range gw.Spec.Servers {
		errs = append(errs, validateServer(p.Child("servers").Index(i), s)...)
	}
	return append(errs, validateLabels(p.Child("selector"), gw.Spec.Selector)...)
}

func validateServer(p *field.Path, s networkingv1.Server) field.ErrorList {
	var errs field.ErrorList
	if s.Port == nil {
		errs = append(errs, field.Required(p.Child("port"), "port is required"))
	} else {
		errs = append(errs, validatePort(p.Child("port").Child("number"), s.Port.Number)...)
		errs = append(errs, validateProtocol(p.Child("port").Child("protocol"), s.Port.Protocol)...)
	}
	if len(s.Hosts) == 0 {
		errs = append(errs, field.Required(p.Child("hosts"), "hosts must not be empty"))
	}
	for i, h := range s.Hosts {
		errs = append(errs, validateNamespacedHost(p.Child("hosts").Index(i), h)...)
	}
	if s.TLS != nil {
		errs = append(errs, oneOf(p.Child("tls").Child("mode"), s.TLS.Mode,
			"PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL")...)
	}
	return errs
}

// validateNamespacedHost checks a "namespace/host" entry of a Gateway
// server or Sidecar egress listener; the namespace may be ".", "*" or "~".
func validateNamespacedHost(p *field.Path, h string) field.ErrorList {
	ns, host, found := strings.Cut(h, "/")
	if !found {
		return validateHost(p, h)
	}
	if ns != "." && ns != "*" && ns != "~" && len(validation.IsDNS1123Label(ns)) > 0 {
		return field.ErrorList{invalid(p, h, "invalid namespace %q in %q: want \".\", \"*\" or a namespace name", ns, h)}
	}
	return validateHost(p, host)
}

// ValidateSidecar checks one Sidecar.
func ValidateSidecar(sc *networkingv1.Sidecar) field.ErrorList {
	spec, p := &sc.Spec, field.NewPath("spec")
	var errs field.ErrorList
	for i, in := range spec.Ingress {
		ip := p.Child("ingress").Index(i)
		if in.Port == nil {
			errs = append(errs, field.Required(ip.Child("port"), "port is required"))
		} else {
			errs = append(errs, validatePort(ip.Child("port").Child("number"), in.Port.Number)...)
		}
		errs = append(errs, oneOf(ip.Child("captureMode"), in.CaptureMode, "DEFAULT", "IPTABLES", "NONE")...)
	}
	for i, eg := range spec.Egress {
		ep := p.Child("egress").Index(i)
		if len(eg.Hosts) == 0 {
			errs = append(errs, field.Required(ep.Child("hosts"), "hosts must not be empty"))
		}
		for j, h := range eg.Hosts {
			errs = append(errs, validateNamespacedHost(ep.Child("hosts").Index(j), h)...)
		}
		errs = append(errs, oneOf(ep.Child("captureMode"), eg.CaptureMode, "DEFAULT", "IPTABLES", "NONE")...)
	}
	if o := spec.OutboundTrafficPolicy; o != nil {
		errs = append(errs, oneOf(p.Child("outboundTrafficPolicy").Child("mode"), o.Mode, "REGISTRY_ONLY", "ALLOW_ANY")...)
	}
	return append(errs, validateDurations(p, spec)...)
}
