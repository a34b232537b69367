package validation

import (
	"net"
	"slices"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateSidecar checks one Sidecar. Capture and outbound traffic modes
// are enums the decoder has already checked.
func ValidateSidecar(sc *networkingv1.Sidecar) field.ErrorList {
	spec, p := &sc.Spec, field.NewPath("spec")
	errs := validateSelectorNoWildcards(p.Child("workloadSelector", "labels"), spec.GetWorkloadSelector().GetLabels())
	if len(spec.GetEgress()) == 0 && len(spec.GetIngress()) == 0 && spec.GetOutboundTrafficPolicy() == nil && spec.GetInboundConnectionPool() == nil {
		return append(errs, field.Required(p, "a Sidecar needs at least one of ingress, egress, outboundTrafficPolicy or inboundConnectionPool"))
	}
	errs = append(errs, validateSidecarIngress(p.Child("ingress"), spec.GetIngress())...)
	errs = append(errs, validateSidecarPool(p.Child("inboundConnectionPool"), spec.GetInboundConnectionPool())...)
	errs = append(errs, validateSidecarEgress(p.Child("egress"), spec.GetEgress())...)
	return append(errs, validateOutboundPolicy(p.Child("outboundTrafficPolicy"), spec.GetOutboundTrafficPolicy())...)
}

// validateSelectorNoWildcards refuses what a workload selector cannot
// mean: an empty key, or "*" in a key or value (labels match exactly).
func validateSelectorNoWildcards(p *field.Path, labels map[string]string) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(labels) {
		switch v := labels[k]; {
		case k == "":
			errs = append(errs, invalid(p.Key(k), k, "a workload selector label key must not be empty"))
		case strings.Contains(k, "*") || strings.Contains(v, "*"):
			errs = append(errs, invalid(p.Key(k), k+"="+v, "workload selector labels match exactly: wildcards are not supported (%s=%s)", k, v))
		}
	}
	return errs
}

// validateSidecarIngress checks the inbound listeners; each needs its own
// port, since they all bind the workload's address.
func validateSidecarIngress(p *field.Path, ingress []*networking.IstioIngressListener) field.ErrorList {
	var errs field.ErrorList
	ports := map[uint32]bool{}
	for i, in := range ingress {
		ip := p.Index(i)
		port := in.GetPort()
		if port == nil {
			errs = append(errs, field.Required(ip, "an ingress listener needs a port"))
			continue
		}
		errs = append(errs, validateSidecarPort(ip.Child("port"), port)...)
		errs = append(errs, validatePort(ip.Child("port", "number"), port.GetNumber())...)
		errs = append(errs, validateBind(ip.Child("bind"), in.GetBind())...)
		if ports[port.GetNumber()] {
			errs = append(errs, duplicate(ip.Child("port", "number"), port.GetNumber(), "port %d is used by another ingress listener", port.GetNumber()))
		}
		ports[port.GetNumber()] = true
		errs = append(errs, validateDefaultEndpoint(ip.Child("defaultEndpoint"), in.GetDefaultEndpoint())...)
		errs = append(errs, validateSidecarIngressTLS(ip.Child("tls"), in.GetTls(), port.GetProtocol())...)
		errs = append(errs, validateSidecarPool(ip.Child("connectionPool"), in.GetConnectionPool())...)
	}
	return errs
}

// validateSidecarPort checks what ingress and egress ports share: an
// optional name that must be a DNS label, a known protocol (empty means
// detect it), and no targetPort.
func validateSidecarPort(p *field.Path, port *networking.SidecarPort) field.ErrorList {
	var errs field.ErrorList
	if name := port.GetName(); name != "" && !isDNSLabel(name) {
		errs = append(errs, invalid(p.Child("name"), name, "port name %q must be a DNS label (letters, digits and '-')", name))
	}
	if proto := port.GetProtocol(); proto != "" && classifyProtocol(proto) == protocolUnknown {
		errs = append(errs, invalid(p.Child("protocol"), proto, "unknown protocol %q, want one of HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TLS, TCP, UDP, MONGO, REDIS, MYSQL", proto))
	}
	//lint:ignore SA1019 targetPort is deprecated, and refused for that reason
	if port.GetTargetPort() != 0 {
		errs = append(errs, field.Forbidden(p.Child("targetPort"), "targetPort has no effect on a Sidecar listener"))
	}
	return errs
}

// validateDefaultEndpoint checks where inbound traffic is forwarded: a
// loopback or unspecified address with a port, or a Unix domain socket.
func validateDefaultEndpoint(p *field.Path, ep string) field.ErrorList {
	if ep == "" {
		return nil
	}
	if sock, ok := strings.CutPrefix(ep, unixPrefix); ok {
		return validateUnixPath(p, sock)
	}
	host, port, err := net.SplitHostPort(ep)
	if err != nil {
		return field.ErrorList{invalid(p, ep, "defaultEndpoint %q is not HOST:PORT: %v", ep, err)}
	}
	if host != "" && !slices.Contains([]string{"127.0.0.1", "0.0.0.0", "::1", "::"}, host) {
		return field.ErrorList{invalid(p, ep, "defaultEndpoint must be 127.0.0.1:PORT, 0.0.0.0:PORT, [::1]:PORT, [::]:PORT or unix://PATH, got %q", ep)}
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return field.ErrorList{invalid(p, ep, "defaultEndpoint port %q must be a number between 1 and 65535", port)}
	}
	return nil
}

// validateSidecarIngressTLS checks inbound TLS termination, which only
// takes certificate files (no secrets, no SANs, no redirect) and modes the
// sidecar itself can serve.
func validateSidecarIngressTLS(p *field.Path, tls *networking.ServerTLSSettings, protocol string) field.ErrorList {
	if tls == nil {
		return nil
	}
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"subjectAltNames", len(tls.GetSubjectAltNames()) > 0},
		{"httpsRedirect", tls.GetHttpsRedirect()},
		{"credentialName", tls.GetCredentialName() != ""},
		{"credentialNames", len(tls.GetCredentialNames()) > 0},
		{"tlsCertificates", len(tls.GetTlsCertificates()) > 0},
	} {
		if f.set {
			errs = append(errs, field.Forbidden(p.Child(f.name), f.name+" is not supported in Sidecar ingress tls"))
		}
	}
	if m := tls.GetMode(); m == networking.ServerTLSSettings_ISTIO_MUTUAL || m == networking.ServerTLSSettings_AUTO_PASSTHROUGH {
		errs = append(errs, invalid(p.Child("mode"), m.String(), "mode %s is not supported in Sidecar ingress tls", m))
	}
	if classifyProtocol(protocol) != protocolTLS {
		errs = append(errs, field.Forbidden(p, "tls settings need an HTTPS or TLS port"))
	}
	return append(errs, validateServerTLS(p, tls)...)
}

// validateSidecarPool checks a connection pool, which must set something.
func validateSidecarPool(p *field.Path, cp *networking.ConnectionPoolSettings) field.ErrorList {
	if cp != nil && cp.GetHttp() == nil && cp.GetTcp() == nil {
		return field.ErrorList{field.Required(p, "a connection pool needs tcp or http settings")}
	}
	return validateConnectionPool(p, cp)
}

// validateSidecarEgress checks the outbound listeners. A listener without
// port catches all remaining traffic, so only the last may omit it.
func validateSidecarEgress(p *field.Path, egress []*networking.IstioEgressListener) field.ErrorList {
	var errs field.ErrorList
	ports, sockets := map[uint32]bool{}, map[string]bool{}
	catchAll := false
	for i, eg := range egress {
		ep := p.Index(i)
		switch port := eg.GetPort(); {
		case port == nil && catchAll:
			errs = append(errs, field.Forbidden(ep, "only one egress listener may omit the port"))
			continue
		case port == nil && i != len(egress)-1:
			errs = append(errs, field.Forbidden(ep, "the egress listener without port catches all traffic, so it must be the last"))
		case port == nil:
			catchAll = true
		default:
			errs = append(errs, validateEgressPort(ep, eg)...)
			errs = append(errs, validateEgressPortUnique(ep, eg, ports, sockets)...)
		}
		errs = append(errs, validateEgressHosts(ep, eg.GetHosts())...)
	}
	return errs
}

// validateEgressPort checks an egress port with its bind address: port 0
// means a Unix domain socket listener, which traffic capture cannot feed.
func validateEgressPort(p *field.Path, eg *networking.IstioEgressListener) field.ErrorList {
	port, bind := eg.GetPort(), eg.GetBind()
	errs := validateSidecarPort(p.Child("port"), port)
	if port.GetNumber() != 0 {
		errs = append(errs, validatePort(p.Child("port", "number"), port.GetNumber())...)
		return append(errs, validateBind(p.Child("bind"), bind)...)
	}
	sock, ok := strings.CutPrefix(bind, unixPrefix)
	if !ok {
		errs = append(errs, invalid(p.Child("port", "number"), 0, "port 0 is only allowed with a unix:// bind address"))
	} else {
		errs = append(errs, validateUnixPath(p.Child("bind"), sock)...)
	}
	if m := eg.GetCaptureMode(); m != networking.CaptureMode_DEFAULT && m != networking.CaptureMode_NONE {
		errs = append(errs, invalid(p.Child("captureMode"), m.String(), "a Unix domain socket listener takes captureMode DEFAULT or NONE, not %s", m))
	}
	return errs
}

// validateEgressPortUnique refuses two listeners on one port, or on one
// Unix domain socket.
func validateEgressPortUnique(p *field.Path, eg *networking.IstioEgressListener, ports map[uint32]bool, sockets map[string]bool) field.ErrorList {
	if n := eg.GetPort().GetNumber(); n != 0 {
		defer func() { ports[n] = true }()
		if ports[n] {
			return field.ErrorList{duplicate(p.Child("port", "number"), n, "port %d is used by another egress listener", n)}
		}
		return nil
	}
	bind := eg.GetBind()
	defer func() { sockets[bind] = true }()
	if sockets[bind] {
		return field.ErrorList{duplicate(p.Child("bind"), bind, "socket %q is used by another egress listener", bind)}
	}
	return nil
}

// validateEgressHosts checks namespace/host entries; the namespace may be
// ".", "*" or a name, each optionally negated by "~".
func validateEgressHosts(p *field.Path, hosts []string) field.ErrorList {
	if len(hosts) == 0 {
		return field.ErrorList{field.Required(p, "an egress listener needs at least one host")}
	}
	var errs field.ErrorList
	for i, h := range hosts {
		hp := p.Child("hosts").Index(i)
		ns, host, found := strings.Cut(h, "/")
		switch bare := strings.TrimPrefix(ns, "~"); {
		case !found:
			errs = append(errs, invalid(hp, h, "egress host %q must be namespace/host (e.g. ./%s or */%s)", h, h, h))
		case ns == "" || host == "":
			errs = append(errs, invalid(hp, h, "namespace and host of %q must not be empty", h))
		case bare != "" && bare != "*" && bare != "." && !isDNSLabel(bare):
			errs = append(errs, invalid(hp, h, "invalid namespace %q in %q: want \".\", \"*\" or a namespace name", ns, h))
		default:
			errs = append(errs, validateListenerHost(hp, host, false)...)
		}
	}
	return errs
}

// validateOutboundPolicy checks that an egress proxy is only set where
// unknown destinations are allowed, and names a full destination.
func validateOutboundPolicy(p *field.Path, tp *networking.OutboundTrafficPolicy) field.ErrorList {
	proxy := tp.GetEgressProxy()
	if proxy == nil {
		return nil
	}
	pp := p.Child("egressProxy")
	if tp.GetMode() != networking.OutboundTrafficPolicy_ALLOW_ANY {
		return field.ErrorList{field.Forbidden(pp, "egressProxy needs mode ALLOW_ANY")}
	}
	errs := validateProxyHost(pp.Child("host"), proxy.GetHost())
	if proxy.GetPort() == nil {
		return append(errs, field.Required(pp, "egressProxy needs a port"))
	}
	return append(errs, validateDestination(pp, proxy)...)
}

// validateProxyHost checks a host name without wildcards.
func validateProxyHost(p *field.Path, host string) field.ErrorList {
	if strings.Contains(host, "*") {
		return field.ErrorList{invalid(p, host, "host %q must be a DNS name without wildcards", host)}
	}
	return validateHost(p, host)
}
