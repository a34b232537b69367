package validation

import (
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
)

// protocols are the port protocols Istio understands (case-insensitive).
var protocols = []string{"HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "MONGO", "MYSQL", "REDIS", "TCP", "TLS", "UDP"}

// ValidateServiceEntry checks one ServiceEntry.
func ValidateServiceEntry(se *networkingv1.ServiceEntry) field.ErrorList {
	spec, p := &se.Spec, field.NewPath("spec")
	var errs field.ErrorList
	if len(spec.Hosts) == 0 {
		errs = append(errs, field.Required(p.Child("hosts"), "hosts must not be empty"))
	}
	for i, h := range spec.Hosts {
		errs = append(errs, validateHost(p.Child("hosts").Index(i), h)...)
	}
	for i, a := range spec.Addresses {
		errs = append(errs, validateIPOrCIDR(p.Child("addresses").Index(i), a)...)
	}
	errs = append(errs, validateServicePorts(p.Child("ports"), spec.Ports)...)
	errs = append(errs, oneOf(p.Child("location"), spec.Location, "MESH_EXTERNAL", "MESH_INTERNAL")...)
	errs = append(errs, oneOf(p.Child("resolution"), spec.Resolution, "NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN")...)
	errs = append(errs, validateSEEndpoints(p, spec)...)
	return append(errs, validateExportTo(p.Child("exportTo"), spec.ExportTo)...)
}

// validateServicePorts requires numbers in 1-65535, unique numbers and
// unique names (endpoints map port names to numbers).
func validateServicePorts(p *field.Path, ports []networkingv1.ServicePort) field.ErrorList {
	var errs field.ErrorList
	numbers, names := map[uint32]bool{}, map[string]bool{}
	for i, port := range ports {
		pp := p.Index(i)
		errs = append(errs, validatePort(pp.Child("number"), port.Number)...)
		if numbers[port.Number] && port.Number != 0 {
			errs = append(errs, duplicate(pp.Child("number"), port.Number, "duplicate port number %d", port.Number))
		}
		if names[port.Name] && port.Name != "" {
			errs = append(errs, duplicate(pp.Child("name"), port.Name, "duplicate port name %q", port.Name))
		}
		numbers[port.Number], names[port.Name] = true, true
		errs = append(errs, validateProtocol(pp.Child("protocol"), port.Protocol)...)
		errs = append(errs, validateOptionalPort(pp.Child("targetPort"), port.TargetPort)...)
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
func validateSEEndpoints(p *field.Path, spec *networkingv1.ServiceEntrySpec) field.ErrorList {
	var errs field.ErrorList
	if len(spec.Endpoints) > 0 && spec.WorkloadSelector != nil {
		errs = append(errs, field.Forbidden(p.Child("workloadSelector"), "endpoints and workloadSelector are mutually exclusive"))
	}
	portNames := map[string]bool{}
	for _, port := range spec.Ports {
		portNames[port.Name] = true
	}
	for i := range spec.Endpoints {
		ep, epp := &spec.Endpoints[i], p.Child("endpoints").Index(i)
		errs = append(errs, validateWorkloadEntrySpec(epp, ep)...)
		if spec.Resolution == "STATIC" && !isIPOrUnix(ep.Address) {
			errs = append(errs, invalid(epp.Child("address"), ep.Address, "STATIC resolution needs an IP address (or unix:// path), got %q", ep.Address))
		}
		for _, name := range sortedKeys(ep.Ports) {
			if !portNames[name] {
				errs = append(errs, invalid(epp.Child("ports").Key(name), name, "port name %q is not one of the ServiceEntry's ports", name))
			}
		}
	}
	if isDNS(spec.Resolution) && len(spec.Endpoints) == 0 {
		for i, h := range spec.Hosts {
			if strings.HasPrefix(h, "*") {
				errs = append(errs, invalid(p.Child("hosts").Index(i), h, "wildcard host %q cannot be resolved by DNS: add endpoints or use resolution NONE", h))
			}
		}
	}
	return errs
}

func isDNS(resolution string) bool { return resolution == "DNS" || resolution == "DNS_ROUND_ROBIN" }

func isIPOrUnix(addr string) bool {
	if strings.HasPrefix(addr, "unix://") {
		return true
	}
	_, err := netip.ParseAddr(addr)
	return err == nil
}

// validateWorkloadEntrySpec checks an endpoint, standalone or inline.
func validateWorkloadEntrySpec(p *field.Path, we *networkingv1.WorkloadEntrySpec) field.ErrorList {
	var errs field.ErrorList
	if we.Address == "" && we.Network == "" {
		errs = append(errs, field.Required(p.Child("address"), "address is required unless network is set"))
	}
	if we.Address != "" && !isIPOrUnix(we.Address) {
		errs = append(errs, validateHost(p.Child("address"), we.Address)...)
	}
	for _, name := range sortedKeys(we.Ports) {
		errs = append(errs, validatePort(p.Child("ports").Key(name), we.Ports[name])...)
	}
	return append(errs, validateLabels(p.Child("labels"), we.Labels)...)
}
