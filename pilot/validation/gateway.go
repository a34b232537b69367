package validation

import (
	"net/netip"
	"path"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// unixPrefix marks a bind address (and a Sidecar defaultEndpoint) that is
// a Unix domain socket rather than an IP address.
const unixPrefix = "unix://"

// protocolClass is how Istio treats a port protocol: what kind of traffic
// a listener on it carries decides which settings make sense there.
type protocolClass int

const (
	protocolUnknown protocolClass = iota
	protocolHTTP                  // HTTP, HTTP2, gRPC, gRPC-Web, HTTP_PROXY
	protocolTLS                   // HTTPS, TLS: terminated or passed through by SNI
	protocolOther                 // TCP, UDP, Mongo, Redis, MySQL
)

// protocolClasses are the port protocols Istio knows, lowercased (names
// are case-insensitive).
var protocolClasses = map[string]protocolClass{
	"http": protocolHTTP, "http2": protocolHTTP, "grpc": protocolHTTP, "grpc-web": protocolHTTP, "http_proxy": protocolHTTP,
	"https": protocolTLS, "tls": protocolTLS,
	"tcp": protocolOther, "udp": protocolOther, "mongo": protocolOther, "redis": protocolOther, "mysql": protocolOther,
}

func classifyProtocol(protocol string) protocolClass {
	return protocolClasses[strings.ToLower(protocol)]
}

// ValidateGateway checks one Gateway. Its name becomes part of listener
// and route names, which is why Istio wants a DNS label (no dots).
func ValidateGateway(gw *networkingv1.Gateway) field.ErrorList {
	spec, p := &gw.Spec, field.NewPath("spec")
	var errs field.ErrorList
	if !isDNSLabel(gw.Name) {
		errs = append(errs, invalid(field.NewPath("metadata", "name"), gw.Name, "invalid Gateway name %q: must be a DNS label (letters, digits and '-', no dots)", gw.Name))
	}
	if len(spec.GetServers()) == 0 {
		errs = append(errs, field.Required(p, "a Gateway needs at least one server"))
	}
	names := map[string]bool{}
	for i, s := range spec.GetServers() {
		sp := p.Child("servers").Index(i)
		errs = append(errs, validateServer(sp, s)...)
		if s.GetPort() == nil {
			continue
		}
		// Port names name the listeners' route configurations.
		if name := s.GetPort().GetName(); names[name] && name != "" {
			errs = append(errs, duplicate(sp.Child("port", "name"), name, "port names must be unique among a Gateway's servers: %q is used twice", name))
		}
		names[s.GetPort().GetName()] = true
	}
	return append(errs, validateLabels(p.Child("selector"), spec.GetSelector())...)
}

// validateServer checks one Gateway server.
func validateServer(p *field.Path, s *networking.Server) field.ErrorList {
	var errs field.ErrorList
	if len(s.GetHosts()) == 0 {
		errs = append(errs, field.Required(p, "a server needs at least one host"))
	}
	for i, h := range s.GetHosts() {
		errs = append(errs, validateGatewayHost(p.Child("hosts").Index(i), h)...)
	}
	portErrs := validateServerPort(p, s.GetPort(), s.GetBind())
	errs = append(errs, portErrs...)
	errs = append(errs, validateBind(p.Child("bind"), s.GetBind())...)
	if strings.HasPrefix(s.GetBind(), unixPrefix) && s.GetPort().GetNumber() != 0 {
		errs = append(errs, invalid(p.Child("port", "number"), s.GetPort().GetNumber(), "a server bound to a Unix domain socket must have port number 0"))
	}
	errs = append(errs, validateServerTLS(p.Child("tls"), s.GetTls())...)
	if len(portErrs) == 0 {
		errs = append(errs, validateServerTLSForProtocol(p, s)...)
	}
	return errs
}

// validateServerTLSForProtocol requires TLS settings exactly on HTTPS and
// TLS servers; an HTTP server may carry only httpsRedirect.
func validateServerTLSForProtocol(p *field.Path, s *networking.Server) field.ErrorList {
	tls, class := s.GetTls(), classifyProtocol(s.GetPort().GetProtocol())
	switch {
	case class == protocolTLS && tls == nil:
		return field.ErrorList{field.Required(p, "HTTPS and TLS servers need tls settings")}
	case class == protocolTLS || tls == nil:
		return nil
	case class == protocolHTTP && redirectOnly(tls):
		return nil
	case class == protocolHTTP:
		return field.ErrorList{field.Forbidden(p.Child("tls"), "a plain-text HTTP server may only set tls.httpsRedirect")}
	}
	return field.ErrorList{field.Forbidden(p.Child("tls"), "tls settings are only allowed on HTTPS and TLS servers")}
}

// redirectOnly reports whether tls only asks HTTP clients to go to HTTPS:
// a passthrough mode (PASSTHROUGH is the zero value) and no certificate
// files.
func redirectOnly(tls *networking.ServerTLSSettings) bool {
	m := tls.GetMode()
	return (m == networking.ServerTLSSettings_PASSTHROUGH || m == networking.ServerTLSSettings_AUTO_PASSTHROUGH) &&
		tls.GetCaCertificates() == "" && tls.GetPrivateKey() == "" && tls.GetServerCertificate() == ""
}

// validateServerPort checks a server's port; number 0 is how a server on a
// Unix domain socket says it has none.
func validateServerPort(p *field.Path, port *networking.Port, bind string) field.ErrorList {
	if port == nil {
		return field.ErrorList{field.Required(p, "a server needs a port")}
	}
	pp := p.Child("port")
	var errs field.ErrorList
	if classifyProtocol(port.GetProtocol()) == protocolUnknown {
		errs = append(errs, invalid(pp.Child("protocol"), port.GetProtocol(), "unknown protocol %q, want one of HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TLS, TCP, MONGO, REDIS, MYSQL", port.GetProtocol()))
	}
	if port.GetNumber() != 0 || !strings.HasPrefix(bind, unixPrefix) {
		errs = append(errs, validatePort(pp.Child("number"), port.GetNumber())...)
	}
	//lint:ignore SA1019 targetPort is deprecated, and refused for that reason
	if port.GetTargetPort() != 0 {
		errs = append(errs, field.Forbidden(pp.Child("targetPort"), "targetPort has no effect on a Gateway server"))
	}
	if port.GetName() == "" {
		errs = append(errs, field.Required(pp, "a server port needs a name"))
	}
	return errs
}

// validateBind checks a bind address: an IP address or unix://PATH.
func validateBind(p *field.Path, bind string) field.ErrorList {
	if bind == "" {
		return nil
	}
	if sock, ok := strings.CutPrefix(bind, unixPrefix); ok {
		return validateUnixPath(p, sock)
	}
	if _, err := netip.ParseAddr(bind); err != nil {
		return field.ErrorList{invalid(p, bind, "bind must be an IP address or unix://PATH, got %q", bind)}
	}
	return nil
}

// validateUnixPath checks a Unix domain socket: an absolute file path, or
// an abstract socket name starting with "@".
func validateUnixPath(p *field.Path, addr string) field.ErrorList {
	switch {
	case addr == "":
		return field.ErrorList{invalid(p, addr, "a Unix domain socket path must not be empty")}
	case strings.HasPrefix(addr, "@"):
		return nil
	case !path.IsAbs(addr) || strings.HasSuffix(addr, "/"):
		return field.ErrorList{invalid(p, addr, "%q is not an absolute path to a socket file", addr)}
	}
	return nil
}

// validateGatewayHost checks a server host: [namespace/]host, where the
// host is "*", a wildcard domain or an IP address and must be fully
// qualified (a gateway serves names from outside the namespace).
func validateGatewayHost(p *field.Path, h string) field.ErrorList {
	ns, host, found := strings.Cut(h, "/")
	if !found {
		return validateListenerHost(p, h, true)
	}
	if ns == "" || host == "" {
		return field.ErrorList{invalid(p, h, "namespace and host of %q must not be empty", h)}
	}
	if ns != "*" && ns != "." && !isDNSLabel(ns) {
		return field.ErrorList{invalid(p, h, "invalid namespace %q in %q: want \".\", \"*\" or a namespace name", ns, h)}
	}
	return validateListenerHost(p, host, true)
}

// validateListenerHost checks the host part of a Gateway server or Sidecar
// egress host: "*" or a fully qualified name whose first label may be a
// wildcard; gateways also take IP addresses.
func validateListenerHost(p *field.Path, host string, allowIP bool) field.ErrorList {
	if allowIP {
		if _, err := netip.ParseAddr(host); err == nil {
			return nil
		}
	}
	if host != "*" && !strings.Contains(host, ".") {
		return field.ErrorList{invalid(p, host, "host %q must be fully qualified (short names are not allowed here)", host)}
	}
	return validateHost(p, host)
}

// isDNSLabel is Istio's DNS label test: like RFC 1123 but upper case
// letters are allowed.
func isDNSLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if c != '-' && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') && !('0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
