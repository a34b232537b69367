package mesh

import "strings"

// Protocol is the application protocol of a service port, derived from the
// port name prefix or appProtocol as Istio does.
type Protocol string

const (
	ProtocolHTTP  Protocol = "HTTP"
	ProtocolHTTP2 Protocol = "HTTP2"
	ProtocolGRPC  Protocol = "GRPC"
	ProtocolTCP   Protocol = "TCP"
	ProtocolTLS   Protocol = "TLS"
	ProtocolHTTPS Protocol = "HTTPS"
)

// IsHTTP reports whether traffic on the port is routed with HTTP rules.
func (p Protocol) IsHTTP() bool {
	return p == ProtocolHTTP || p == ProtocolHTTP2 || p == ProtocolGRPC
}

// IsHTTP2 reports whether upstream connections must speak HTTP/2.
func (p Protocol) IsHTTP2() bool { return p == ProtocolHTTP2 || p == ProtocolGRPC }

// ProtocolFromName applies Istio's port naming convention: "grpc-web",
// "http2-foo", "http" and so on; anything unrecognised is TCP.
func ProtocolFromName(name, appProtocol string) Protocol {
	if appProtocol != "" {
		name = appProtocol
	}
	prefix := strings.ToLower(name)
	if i := strings.IndexByte(prefix, '-'); i >= 0 {
		prefix = prefix[:i]
	}
	switch prefix {
	case "http", "http-web", "kubernetes.io/ws", "kubernetes.io/wss":
		return ProtocolHTTP
	case "http2", "kubernetes.io/h2c":
		return ProtocolHTTP2
	case "grpc":
		return ProtocolGRPC
	case "https":
		return ProtocolHTTPS
	case "tls":
		return ProtocolTLS
	}
	return ProtocolTCP
}

// Resolution says how a proxy finds a service's endpoints.
type Resolution int

const (
	// ResolutionEDS: endpoint IPs are known to the control plane (Kubernetes
	// services, ServiceEntry STATIC).
	ResolutionEDS Resolution = iota
	// ResolutionDNS: the proxy resolves endpoint hostnames itself.
	ResolutionDNS
	// ResolutionPassthrough: the original destination address is used.
	ResolutionPassthrough
	// ResolutionDNSRoundRobin: the proxy resolves one endpoint hostname and
	// connects to the first address returned (Envoy's LOGICAL_DNS).
	ResolutionDNSRoundRobin
)

// ByDNS reports whether the proxy resolves endpoint hostnames itself.
func (r Resolution) ByDNS() bool { return r == ResolutionDNS || r == ResolutionDNSRoundRobin }

// Port is one port of a service.
type Port struct {
	Name     string
	Number   uint32
	Protocol Protocol
}

// Endpoint is one backend instance of a service port.
type Endpoint struct {
	Address        string
	Port           uint32
	Labels         map[string]string
	ServiceAccount string
	Namespace      string
	Weight         uint32
	Healthy        bool
	// Locality is "region/zone/subzone" (see locality.go); "" when unknown.
	Locality string
	// NodeName is the Kubernetes Node the endpoint's pod runs on.
	NodeName string
}

// Service is one mesh host: a Kubernetes Service or a ServiceEntry host.
type Service struct {
	Hostname   string
	Namespace  string
	Name       string
	Addresses  []string
	Ports      []Port
	Resolution Resolution
	External   bool
	// SubjectAltNames are a ServiceEntry's: the identities its servers may
	// present, checked by SIMPLE/MUTUAL TLS when the rule names none.
	SubjectAltNames []string
	// Endpoints by service port number.
	Endpoints map[uint32][]Endpoint
	// ExportTo lists the namespaces that may see the service; nil is every
	// namespace, and a list without namespaces ("~") none.
	ExportTo []string
}

// Port returns the service port with the given number.
func (s *Service) Port(number uint32) (Port, bool) {
	for _, p := range s.Ports {
		if p.Number == number {
			return p, true
		}
	}
	return Port{}, false
}
