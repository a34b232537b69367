package analysis

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/weftmesh/weft/contract"
	"github.com/weftmesh/weft/pilot/config"
)

// knownProtocols are the protocols Istio recognises in a Service port's
// name prefix or appProtocol.
var knownProtocols = map[string]bool{
	"tcp": true, "udp": true, "grpc": true, "grpc-web": true, "http": true, "http_proxy": true,
	"http2": true, "https": true, "tls": true, "mongo": true, "redis": true, "mysql": true,
}

// validateServicePorts is istioctl validate's check of Service ports: each
// must say its protocol (appProtocol, or a name "<protocol>[-suffix]"), or
// the mesh treats it as opaque TCP. istioctl fails validation on it, so
// weftctl validate does too. It is validate's alone: weftd serves such
// ports as TCP, and analyze reports them as IST0118 Info.
func validateServicePorts(o config.Object) []Message {
	svc, ok := o.Resource.(*corev1.Service)
	if !ok || svc.Namespace == "istio-system" || svc.Namespace == contract.DefaultNamespace {
		return nil // the control plane's own Services are not meshed
	}
	var out []Message
	for i, port := range svc.Spec.Ports {
		if field, msg := portProtocolProblem(port); field != "" {
			e := config.NewError(o.Origin, o.Key, fmt.Sprintf("spec.ports[%d].%s", i, field), msg)
			out = append(out, Message{Code: CodePortNameNoProtocol, Severity: Error, Err: e})
		}
	}
	return out
}

// portProtocolProblem names the field of port that fails to say its
// protocol, and why; "" when the protocol is clear or does not matter (UDP).
func portProtocolProblem(port corev1.ServicePort) (field, msg string) {
	switch {
	case port.Protocol == corev1.ProtocolUDP:
		return "", ""
	case port.AppProtocol != nil:
		if !knownProtocols[strings.ToLower(*port.AppProtocol)] {
			return "appProtocol", fmt.Sprintf("appProtocol %q is not a protocol Istio knows (http, http2, https, grpc, grpc-web, tcp, tls, ...)", *port.AppProtocol)
		}
	case port.Name == "":
		return "name", fmt.Sprintf("port %d has no name, so its protocol is unknown: name it <protocol>[-suffix] or set appProtocol", port.Port)
	default:
		prefix, _, _ := strings.Cut(port.Name, "-")
		if !knownProtocols[strings.ToLower(prefix)] {
			return "name", fmt.Sprintf("port name %q does not start with a protocol: name it <protocol>[-suffix] (http, http2, https, grpc, tcp, tls, ...) or set appProtocol", port.Name)
		}
	}
	return "", ""
}
