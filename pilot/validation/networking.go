package validation

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateWorkloadEntry checks one WorkloadEntry.
func ValidateWorkloadEntry(we *networkingv1.WorkloadEntry) field.ErrorList {
	return validateWorkloadEntrySpec(field.NewPath("spec"), &we.Spec, endpointRules{allowFQDN: true})
}

// ValidateGateway checks one Gateway: every server needs a port and hosts.
func ValidateGateway(gw *networkingv1.Gateway) field.ErrorList {
	spec, p := &gw.Spec, field.NewPath("spec")
	var errs field.ErrorList
	if len(spec.GetServers()) == 0 {
		errs = append(errs, field.Required(p.Child("servers"), "a Gateway needs at least one server"))
	}
	for i, s := range spec.GetServers() {
		errs = append(errs, validateServer(p.Child("servers").Index(i), s)...)
	}
	return append(errs, validateLabels(p.Child("selector"), spec.GetSelector())...)
}

// validateServer checks one Gateway server; its TLS mode is an enum the
// decoder has already checked.
func validateServer(p *field.Path, s *networking.Server) field.ErrorList {
	var errs field.ErrorList
	if port := s.GetPort(); port == nil {
		errs = append(errs, field.Required(p.Child("port"), "port is required"))
	} else {
		errs = append(errs, validatePort(p.Child("port").Child("number"), port.GetNumber())...)
		errs = append(errs, validateProtocol(p.Child("port").Child("protocol"), port.GetProtocol())...)
	}
	if len(s.GetHosts()) == 0 {
		errs = append(errs, field.Required(p.Child("hosts"), "hosts must not be empty"))
	}
	for i, h := range s.GetHosts() {
		errs = append(errs, validateNamespacedHost(p.Child("hosts").Index(i), h)...)
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

// ValidateSidecar checks one Sidecar. Capture and outbound traffic modes
// are enums the decoder has already checked.
func ValidateSidecar(sc *networkingv1.Sidecar) field.ErrorList {
	spec, p := &sc.Spec, field.NewPath("spec")
	var errs field.ErrorList
	for i, in := range spec.GetIngress() {
		ip := p.Child("ingress").Index(i)
		if in.GetPort() == nil {
			errs = append(errs, field.Required(ip.Child("port"), "port is required"))
		} else {
			errs = append(errs, validatePort(ip.Child("port").Child("number"), in.GetPort().GetNumber())...)
		}
	}
	for i, eg := range spec.GetEgress() {
		ep := p.Child("egress").Index(i)
		if len(eg.GetHosts()) == 0 {
			errs = append(errs, field.Required(ep.Child("hosts"), "hosts must not be empty"))
		}
		for j, h := range eg.GetHosts() {
			errs = append(errs, validateNamespacedHost(ep.Child("hosts").Index(j), h)...)
		}
	}
	return errs
}
