package validation

import (
	"net/netip"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// protocols are the port protocols Istio understands (case-insensitive).
var protocols = []string{"HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "MONGO", "MYSQL", "REDIS", "TCP", "TLS", "UDP"}

// ValidateServiceEntry checks one ServiceEntry. Location and resolution
// are enums the decoder has already checked.
func ValidateServiceEntry(se *networkingv1.ServiceEntry) field.ErrorList {
	spec, p := &se.Spec, field.NewPath("spec")
	var errs field.ErrorList
	if len(spec.GetHosts()) == 0 {
		errs = append(errs, field.Required(p.Child("hosts"), "hosts must not be empty"))
	}
	for i, h := range spec.GetHosts() {
		errs = append(errs, validateHost(p.Child("hosts").Index(i), h)...)
	}
	for i, a := range spec.GetAddresses() {
		errs = append(errs, validateIPOrCIDR(p.Child("addresses").Index(i), a)...)
	}
	errs = append(errs, validateServicePorts(p.Child("ports"), spec.GetPorts())...)
	errs = append(errs, validateSEEndpoints(p, spec)...)
	return append(errs, validateExportTo(p.Child("exportTo"), spec.GetExportTo())...)
}

// validateServicePorts requires numbers in 1-65535, unique numbers and
// unique names (endpoints map port names to numbers).
func validateServicePorts(p *field.Path, ports []*networking.ServicePort) field.ErrorList {
	var errs field.ErrorList
	numbers, names := map[uint32]bool{}, map[string]bool{}
	for i, port := range ports {
		pp, num, name := p.Index(i), port.GetNumber(), port.GetName()
		errs = append(errs, validatePort(pp.Child("number"), num)...)
		if numbers[num] && num != 0 {
			errs = append(errs, duplicate(pp.Child("number"), num, "duplicate port number %d", num))
		}
		if names[name] && name != "" {
			errs = append(errs, duplicate(pp.Child("name"), name, "duplicate port name %q", name))
		}
		numbers[num], names[name] = true, true
		errs = append(errs, validateProtocol(pp.Child("protocol"), port.GetProtocol())...)
		errs = append(errs, validateOptionalPort(pp.Child("targetPort"), port.GetTargetPort())...)
	}
	return errs
}

func validateProtocol(p *field.Path, proto string) field.ErrorList {
	if proto == "" {
		return nil
	}
	for _, known := range protocols {
		if strings.EqualFold(proto, known) {
			return nil
		}
	}
	return field.ErrorList{invalid(p, proto, "unknown protocol %q, want one of %s", proto, strings.Join(protocols, ", "))}
}

// validateSEEndpoints checks endpoints against the resolution: STATIC
// endpoints must be IP addresses (Envoy gets them verbatim), and DNS
// without endpoints resolves the hosts themselves, which wildcards cannot be.
func validateSEEndpoints(p *field.Path, spec *networking.ServiceEntry) field.ErrorList {
	var errs field.ErrorList
	if len(spec.GetEndpoints()) > 0 && spec.GetWorkloadSelector() != nil {
		errs = append(errs, field.Forbidden(p.Child("workloadSelector"), "endpoints and workloadSelector are mutually exclusive"))
	}
	portNames := map[string]bool{}
	for _, port := range spec.GetPorts() {
		portNames[port.GetName()] = true
	}
	static := spec.GetResolution() == networking.ServiceEntry_STATIC
	for i, ep := range spec.GetEndpoints() {
		epp := p.Child("endpoints").Index(i)
		errs = append(errs, validateWorkloadEntrySpec(epp, ep)...)
		if static && !isIPOrUnix(ep.GetAddress()) {
			errs = append(errs, invalid(epp.Child("address"), ep.GetAddress(), "STATIC resolution needs an IP address (or unix:// path), got %q", ep.GetAddress()))
		}
		for _, name := range sortedKeys(ep.GetPorts()) {
			if !portNames[name] {
				errs = append(errs, invalid(epp.Child("ports").Key(name), name, "port name %q is not one of the ServiceEntry's ports", name))
			}
		}
	}
	if isDNS(spec.GetResolution()) && len(spec.GetEndpoints()) == 0 {
		for i, h := range spec.GetHosts() {
			if strings.HasPrefix(h, "*") {
				errs = append(errs, invalid(p.Child("hosts").Index(i), h, "wildcard host %q cannot be resolved by DNS: add endpoints or use resolution NONE", h))
			}
		}
	}
	return errs
}

func isDNS(r networking.ServiceEntry_Resolution) bool {
	return r == networking.ServiceEntry_DNS || r == networking.ServiceEntry_DNS_ROUND_ROBIN
}

func isIPOrUnix(addr string) bool {
	if strings.HasPrefix(addr, "unix://") {
		return true
	}
	_, err := netip.ParseAddr(addr)
	return err == nil
}

// validateWorkloadEntrySpec checks an endpoint, standalone or inline.
func validateWorkloadEntrySpec(p *field.Path, we *networking.WorkloadEntry) field.ErrorList {
	var errs field.ErrorList
	addr := we.GetAddress()
	if addr == "" && we.GetNetwork() == "" {
		errs = append(errs, field.Required(p.Child("address"), "address is required unless network is set"))
	}
	if addr != "" && !isIPOrUnix(addr) {
		errs = append(errs, validateHost(p.Child("address"), addr)...)
	}
	for _, name := range sortedKeys(we.GetPorts()) {
		errs = append(errs, validatePort(p.Child("ports").Key(name), we.GetPorts()[name])...)
	}
	return append(errs, validateLabels(p.Child("labels"), we.GetLabels())...)
}
