package validation

import (
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateResolution checks what each resolution mode requires of hosts,
// addresses, endpoints and ports.
func validateResolution(p *field.Path, se *networkingv1.ServiceEntry) field.ErrorList {
	spec := &se.Spec
	switch spec.GetResolution() {
	case networking.ServiceEntry_NONE:
		if len(spec.GetEndpoints()) > 0 {
			return field.ErrorList{field.Forbidden(p.Child("endpoints"), "resolution NONE forwards to the original destination and takes no endpoints")}
		}
	case networking.ServiceEntry_STATIC:
		return validateSEEndpoints(p, spec, false)
	case networking.ServiceEntry_DNS, networking.ServiceEntry_DNS_ROUND_ROBIN:
		return validateDNSResolution(p, spec)
	case networking.ServiceEntry_DYNAMIC_DNS:
		return validateDynamicDNS(p, se)
	}
	return nil
}

// validateSEEndpoints checks inline endpoints against the entry's ports;
// STATIC endpoints must be IPs (Envoy gets them verbatim), DNS ones may be
// names Envoy resolves.
func validateSEEndpoints(p *field.Path, spec *networking.ServiceEntry, allowFQDN bool) field.ErrorList {
	r := endpointRules{allowFQDN: allowFQDN, servicePorts: map[string]bool{}}
	for _, port := range spec.GetPorts() {
		r.servicePorts[port.GetName()] = true
	}
	var errs field.ErrorList
	for i, ep := range spec.GetEndpoints() {
		errs = append(errs, validateWorkloadEntrySpec(p.Child("endpoints").Index(i), ep, r)...)
	}
	return errs
}

// validateDNSResolution: without endpoints Envoy resolves the hosts
// themselves, which wildcards cannot be; DNS_ROUND_ROBIN uses one
// endpoint at most.
func validateDNSResolution(p *field.Path, spec *networking.ServiceEntry) field.ErrorList {
	var errs field.ErrorList
	if len(spec.GetEndpoints()) == 0 {
		for i, h := range spec.GetHosts() {
			if msg := validateFQDN(h); msg != "" {
				errs = append(errs, invalid(p.Child("hosts").Index(i), h,
					"host %q cannot be resolved by DNS (it %s): add endpoints or use resolution NONE", h, msg))
				break
			}
		}
	}
	if eps := spec.GetEndpoints(); spec.GetResolution() == networking.ServiceEntry_DNS_ROUND_ROBIN && len(eps) > 1 {
		errs = append(errs, field.TooMany(p.Child("endpoints").Index(1), len(eps), 1))
		errs[len(errs)-1].Detail = "resolution DNS_ROUND_ROBIN takes at most one endpoint"
	}
	return append(errs, validateSEEndpoints(p, spec, true)...)
}

// validateDynamicDNS: Envoy's dynamic forward proxy resolves the request's
// own host, so the entry names wildcard hosts only, has no addresses or
// endpoints, and its ports must carry a host name (HTTP or TLS SNI).
func validateDynamicDNS(p *field.Path, se *networkingv1.ServiceEntry) field.ErrorList {
	spec := &se.Spec
	var errs field.ErrorList
	for i, h := range spec.GetHosts() {
		if !strings.HasPrefix(h, "*") {
			errs = append(errs, invalid(p.Child("hosts").Index(i), h, "resolution DYNAMIC_DNS needs wildcard hosts (*.example.com), got %q", h))
		}
	}
	if len(spec.GetAddresses()) > 0 {
		errs = append(errs, field.Forbidden(p.Child("addresses"), "resolution DYNAMIC_DNS takes no addresses: routes are built from the hosts"))
	}
	if len(spec.GetEndpoints()) > 0 {
		errs = append(errs, field.Forbidden(p.Child("endpoints"), "resolution DYNAMIC_DNS takes no endpoints: the destination comes from the request's host"))
	}
	for i, port := range spec.GetPorts() {
		switch strings.ToUpper(port.GetProtocol()) {
		case "HTTP", "TLS", "GRPC", "HTTP2":
		default:
			errs = append(errs, invalid(p.Child("ports").Index(i).Child("protocol"), port.GetProtocol(),
				"resolution DYNAMIC_DNS supports protocols HTTP, TLS, GRPC and HTTP2 only, got %q", port.GetProtocol()))
		}
	}
	if spec.GetLocation() == networking.ServiceEntry_MESH_INTERNAL && usesWaypoint(se.Labels) {
		errs = append(errs, field.Forbidden(p.Child("location"), "location MESH_INTERNAL with resolution DYNAMIC_DNS is not supported with a waypoint (istio.io/use-waypoint)"))
	}
	return errs
}

// usesWaypoint reports whether labels put the object behind a waypoint.
func usesWaypoint(labels map[string]string) bool {
	v := labels["istio.io/use-waypoint"]
	return v != "" && !strings.EqualFold(v, "none")
}
