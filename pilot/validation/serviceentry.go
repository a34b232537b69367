package validation

import (
	"path"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// protocols are the port protocols Istio understands (case-insensitive).
var protocols = []string{"HTTP", "HTTPS", "GRPC", "GRPC-WEB", "HTTP2", "HTTP_PROXY", "MONGO", "MYSQL", "REDIS", "TCP", "TLS", "UDP"}

// ValidateServiceEntry checks one ServiceEntry the way Istio does. Location
// and resolution are enums the decoder has already checked.
func ValidateServiceEntry(se *networkingv1.ServiceEntry) field.ErrorList {
	spec, p := &se.Spec, field.NewPath("spec")
	var errs field.ErrorList
	if ws := spec.GetWorkloadSelector(); ws != nil {
		errs = append(errs, validateSelectorLabels(p.Child("workloadSelector").Child("labels"), ws.GetLabels())...)
		if len(spec.GetEndpoints()) > 0 {
			errs = append(errs, field.Forbidden(p.Child("endpoints"), "endpoints and workloadSelector are mutually exclusive"))
		}
	}
	errs = append(errs, validateSEHosts(p, spec.GetHosts())...)
	errs = append(errs, validateSEAddresses(p.Child("addresses"), spec)...)
	errs = append(errs, validateServicePorts(p.Child("ports"), spec.GetPorts())...)
	errs = append(errs, validateResolution(p, se)...)
	errs = append(errs, validateMultiHostPorts(p, spec)...)
	errs = append(errs, validateEndpointWeightSum(p.Child("endpoints"), spec.GetEndpoints())...)
	errs = append(errs, validateMeshSNI(p, se)...)
	return append(errs, validateVisibility(p.Child("exportTo"), se.Namespace, spec.GetExportTo(), visibilityRules{serviceEntry: true})...)
}

// validateSEHosts requires hosts; "*" alone would capture all traffic.
func validateSEHosts(p *field.Path, hosts []string) field.ErrorList {
	if len(hosts) == 0 {
		return field.ErrorList{field.Required(p, "a ServiceEntry needs at least one host")}
	}
	var errs field.ErrorList
	for i, h := range hosts {
		if h == "*" {
			errs = append(errs, invalid(p.Child("hosts").Index(i), h, "a ServiceEntry host cannot be \"*\" alone"))
			continue
		}
		errs = append(errs, validateWildcardDomain(p.Child("hosts").Index(i), h)...)
	}
	return errs
}

// validateSEAddresses: IPs or CIDR blocks; a block only makes sense when
// Envoy does not resolve the hosts (NONE or STATIC).
func validateSEAddresses(p *field.Path, spec *networking.ServiceEntry) field.ErrorList {
	var errs field.ErrorList
	res := spec.GetResolution()
	for i, a := range spec.GetAddresses() {
		if !strings.Contains(a, "/") {
			if !isIP(a) {
				errs = append(errs, invalid(p.Index(i), a, "%q is neither an IP address nor a CIDR block", a))
			}
			continue
		}
		errs = append(errs, validateIPOrCIDR(p.Index(i), a)...)
		if res != networking.ServiceEntry_NONE && res != networking.ServiceEntry_STATIC {
			errs = append(errs, invalid(p.Index(i), a, "CIDR addresses need resolution NONE or STATIC, not %s", res))
		}
	}
	return errs
}

// validateServicePorts requires unique, valid numbers and unique DNS-label
// names (endpoints map port names to numbers).
func validateServicePorts(p *field.Path, ports []*networking.ServicePort) field.ErrorList {
	var errs field.ErrorList
	numbers, names := map[uint32]bool{}, map[string]bool{}
	for i, port := range ports {
		pp, num, name := p.Index(i), port.GetNumber(), port.GetName()
		errs = append(errs, validatePortName(pp, name)...)
		if names[name] && name != "" {
			errs = append(errs, duplicate(pp.Child("name"), name, "duplicate port name %q", name))
		}
		errs = append(errs, validatePort(pp.Child("number"), num)...)
		if numbers[num] && num != 0 {
			errs = append(errs, duplicate(pp.Child("number"), num, "duplicate port number %d", num))
		}
		numbers[num], names[name] = true, true
		errs = append(errs, validateProtocol(pp.Child("protocol"), port.GetProtocol())...)
		errs = append(errs, validateOptionalPort(pp.Child("targetPort"), port.GetTargetPort())...)
	}
	return errs
}

// validatePortName requires a DNS-label port name; a missing name is
// reported on the port (p).
func validatePortName(p *field.Path, name string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "port needs a name")}
	}
	if len(validation.IsDNS1123Label(name)) > 0 {
		return field.ErrorList{invalid(p.Child("name"), name, "port name %q must be a DNS label (lower-case letters, digits and '-')", name)}
	}
	return nil
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

// validateMultiHostPorts: with several hosts Envoy tells them apart by the
// HTTP Host header or the TLS SNI; a plain TCP port carries neither. With
// resolution NONE the hosts are not used, so it does not matter.
func validateMultiHostPorts(p *field.Path, spec *networking.ServiceEntry) field.ErrorList {
	if spec.GetResolution() == networking.ServiceEntry_NONE || len(spec.GetHosts()) < 2 {
		return nil
	}
	for _, port := range spec.GetPorts() {
		if !isHTTPProtocol(port.GetProtocol()) && !isTLSProtocol(port.GetProtocol()) {
			return field.ErrorList{invalid(p.Child("hosts").Index(1), spec.GetHosts()[1],
				"several hosts need HTTP or TLS ports to be told apart; port %d is %s", port.GetNumber(), protocolOrUnset(port.GetProtocol()))}
		}
	}
	return nil
}

func protocolOrUnset(proto string) string {
	if proto == "" {
		return "unset"
	}
	return proto
}

func isHTTPProtocol(proto string) bool {
	switch strings.ToUpper(proto) {
	case "HTTP", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-WEB":
		return true
	}
	return false
}

func isTLSProtocol(proto string) bool {
	switch strings.ToUpper(proto) {
	case "HTTPS", "TLS":
		return true
	}
	return false
}

// endpointRules are what the context of a WorkloadEntry spec allows.
type endpointRules struct {
	allowFQDN    bool            // standalone, or a DNS ServiceEntry's endpoint
	servicePorts map[string]bool // the ServiceEntry's port names; nil when standalone
}

// validateWorkloadEntrySpec checks an endpoint, standalone or inline.
func validateWorkloadEntrySpec(p *field.Path, we *networking.WorkloadEntry, r endpointRules) field.ErrorList {
	var errs field.ErrorList
	addr := we.GetAddress()
	switch {
	case addr == "" && we.GetNetwork() == "":
		return field.ErrorList{field.Required(p, "address is required unless network is set")}
	case strings.HasPrefix(addr, unixPrefix):
		errs = append(errs, validateUnixEndpoint(p, we, r)...)
	case addr != "" && !isIP(addr) && !r.allowFQDN:
		errs = append(errs, invalid(p.Child("address"), addr, "endpoint address %q must be an IP address (or unix:// path) with resolution STATIC", addr))
	case addr != "" && !isIP(addr):
		if msg := validateFQDN(addr); msg != "" {
			errs = append(errs, invalid(p.Child("address"), addr, "address %q is neither an IP address nor a DNS name: it %s", addr, msg))
		}
	}
	errs = append(errs, validateEndpointPorts(p.Child("ports"), we.GetPorts(), r.servicePorts)...)
	return append(errs, validateLabels(p.Child("labels"), we.GetLabels())...)
}

// validateUnixEndpoint: a Unix socket is one file, so it has no ports of
// its own and serves exactly one service port.
func validateUnixEndpoint(p *field.Path, we *networking.WorkloadEntry, r endpointRules) field.ErrorList {
	var errs field.ErrorList
	addr := we.GetAddress()
	sock := strings.TrimPrefix(addr, unixPrefix)
	switch {
	case sock == "":
		errs = append(errs, invalid(p.Child("address"), addr, "unix:// address needs a socket path"))
	case strings.HasPrefix(sock, "@"): // an abstract socket name
	case !path.IsAbs(sock) || strings.HasSuffix(sock, "/"):
		errs = append(errs, invalid(p.Child("address"), addr, "unix socket %q must be an absolute path to a file", sock))
	}
	if len(we.GetPorts()) > 0 {
		errs = append(errs, field.Forbidden(p.Child("ports"), "a unix:// endpoint cannot have ports"))
	}
	if r.servicePorts != nil && len(r.servicePorts) != 1 {
		errs = append(errs, invalid(p.Child("address"), addr, "a unix:// endpoint needs a ServiceEntry with exactly one port"))
	}
	return errs
}

func validateEndpointPorts(p *field.Path, ports map[string]uint32, servicePorts map[string]bool) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(ports) {
		pp := p.Key(name)
		if servicePorts != nil && !servicePorts[name] {
			errs = append(errs, invalid(pp, name, "port name %q is not one of the ServiceEntry's ports", name))
		}
		if len(validation.IsDNS1123Label(name)) > 0 {
			errs = append(errs, invalid(pp, name, "port name %q must be a DNS label (lower-case letters, digits and '-')", name))
		}
		errs = append(errs, validatePort(pp, ports[name])...)
	}
	return errs
}
