package validation

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	networking "istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateMsDuration checks a timeout or interval Envoy takes in whole
// milliseconds: at least 1ms, no finer. Negative values are left to the
// check every duration gets (validateProto).
func validateMsDuration(p *field.Path, d *durationpb.Duration) field.ErrorList {
	v := d.AsDuration()
	switch {
	case v < 0:
		return nil
	case v < time.Millisecond:
		return field.ErrorList{invalid(p, v.String(), "duration must be at least 1ms, got %s", v)}
	case v%time.Millisecond != 0:
		return field.ErrorList{invalid(p, v.String(), "duration must be a whole number of milliseconds, got %s", v)}
	}
	return nil
}

// validateOptionalMsDuration is validateMsDuration for a field that may be
// unset.
func validateOptionalMsDuration(p *field.Path, d *durationpb.Duration) field.ErrorList {
	if d == nil {
		return nil
	}
	return validateMsDuration(p, d)
}

// validateConnectionPool checks limits are not negative and timeouts are
// whole milliseconds; an empty pool is refused like an empty policy.
func validateConnectionPool(p *field.Path, cp *networking.ConnectionPoolSettings) field.ErrorList {
	if cp == nil {
		return nil
	}
	if cp.GetHttp() == nil && cp.GetTcp() == nil {
		return field.ErrorList{field.Required(p, "connectionPool needs tcp or http settings")}
	}
	errs := validateHTTPPool(p.Child("http"), cp.GetHttp())
	return append(errs, validateTCPPool(p.Child("tcp"), cp.GetTcp())...)
}

func validateHTTPPool(p *field.Path, h *networking.ConnectionPoolSettings_HTTPSettings) field.ErrorList {
	if h == nil {
		return nil
	}
	errs := nonNegative(p.Child("http1MaxPendingRequests"), h.GetHttp1MaxPendingRequests())
	errs = append(errs, nonNegative(p.Child("http2MaxRequests"), h.GetHttp2MaxRequests())...)
	errs = append(errs, nonNegative(p.Child("maxRequestsPerConnection"), h.GetMaxRequestsPerConnection())...)
	errs = append(errs, nonNegative(p.Child("maxRetries"), h.GetMaxRetries())...)
	errs = append(errs, nonNegative(p.Child("maxConcurrentStreams"), h.GetMaxConcurrentStreams())...)
	errs = append(errs, validateOptionalMsDuration(p.Child("idleTimeout"), h.GetIdleTimeout())...)
	// With UPGRADE every request goes upstream as HTTP/2, so keeping the
	// client's protocol contradicts it.
	if h.GetH2UpgradePolicy() == networking.ConnectionPoolSettings_HTTPSettings_UPGRADE && h.GetUseClientProtocol() {
		errs = append(errs, field.Forbidden(p.Child("useClientProtocol"), "useClientProtocol cannot be true when h2UpgradePolicy is UPGRADE"))
	}
	if ka := h.GetHttp2KeepAlive(); ka != nil {
		errs = append(errs, validateH2KeepAlive(p.Child("http2KeepAlive"), ka)...)
	}
	return errs
}

func validateH2KeepAlive(p *field.Path, ka *networking.ConnectionPoolSettings_HTTPSettings_ConnectionKeepalive) field.ErrorList {
	var errs field.ErrorList
	if ka.GetInterval() == nil || ka.GetTimeout() == nil {
		errs = append(errs, field.Required(p, "http2KeepAlive needs both interval and timeout"))
	}
	errs = append(errs, validateOptionalMsDuration(p.Child("interval"), ka.GetInterval())...)
	return append(errs, validateOptionalMsDuration(p.Child("timeout"), ka.GetTimeout())...)
}

func validateTCPPool(p *field.Path, t *networking.ConnectionPoolSettings_TCPSettings) field.ErrorList {
	if t == nil {
		return nil
	}
	errs := nonNegative(p.Child("maxConnections"), t.GetMaxConnections())
	errs = append(errs, validateOptionalMsDuration(p.Child("connectTimeout"), t.GetConnectTimeout())...)
	errs = append(errs, validateOptionalMsDuration(p.Child("maxConnectionDuration"), t.GetMaxConnectionDuration())...)
	// An idle timeout of 0s turns the timeout off, so it is allowed.
	if it := t.GetIdleTimeout(); it != nil && it.AsDuration().Milliseconds() != 0 {
		errs = append(errs, validateMsDuration(p.Child("idleTimeout"), it)...)
	}
	if ka := t.GetTcpKeepalive(); ka != nil {
		kp := p.Child("tcpKeepalive")
		errs = append(errs, validateOptionalMsDuration(kp.Child("time"), ka.GetTime())...)
		errs = append(errs, validateOptionalMsDuration(kp.Child("interval"), ka.GetInterval())...)
	}
	return errs
}

// validateOutlierDetection checks intervals, percentages, and that local
// origin failures are only counted when they are split from the others.
func validateOutlierDetection(p *field.Path, od *networking.OutlierDetection) field.ErrorList {
	if od == nil {
		return nil
	}
	errs := validateOptionalMsDuration(p.Child("baseEjectionTime"), od.GetBaseEjectionTime())
	errs = append(errs, validateOptionalMsDuration(p.Child("interval"), od.GetInterval())...)
	if !od.GetSplitExternalLocalOriginErrors() && od.GetConsecutiveLocalOriginFailures().GetValue() > 0 {
		errs = append(errs, field.Forbidden(p.Child("consecutiveLocalOriginFailures"),
			"consecutiveLocalOriginFailures only applies with splitExternalLocalOriginErrors: true"))
	}
	errs = append(errs, validateIntPercent(p.Child("maxEjectionPercent"), od.GetMaxEjectionPercent())...)
	return append(errs, validateIntPercent(p.Child("minHealthPercent"), od.GetMinHealthPercent())...)
}

// validateClientTLS checks client TLS settings as Istio does: certificates
// come either from files or from credentialName, never both; MUTUAL needs
// a client certificate and key; insecureSkipVerify excludes what verifies.
func validateClientTLS(p *field.Path, ns string, tls *networking.ClientTLSSettings) field.ErrorList {
	if tls == nil {
		return nil
	}
	errs := validateConfigMapCredential(p.Child("credentialName"), ns, tls.GetCredentialName())
	errs = append(errs, validateSkipVerify(p, tls)...)
	mode := tls.GetMode()
	if mode != networking.ClientTLSSettings_SIMPLE && mode != networking.ClientTLSSettings_MUTUAL {
		return errs
	}
	if tls.GetCredentialName() != "" {
		for _, f := range []struct{ name, value string }{
			{"clientCertificate", tls.GetClientCertificate()}, {"privateKey", tls.GetPrivateKey()},
			{"caCertificates", tls.GetCaCertificates()}, {"caCrl", tls.GetCaCrl()},
		} {
			if f.value != "" {
				errs = append(errs, field.Forbidden(p.Child(f.name), f.name+" cannot be combined with credentialName, which supplies the certificates"))
			}
		}
		return errs
	}
	if mode == networking.ClientTLSSettings_MUTUAL && tls.GetClientCertificate() == "" {
		errs = append(errs, field.Required(p, "MUTUAL mode needs clientCertificate (or credentialName)"))
	}
	if mode == networking.ClientTLSSettings_MUTUAL && tls.GetPrivateKey() == "" {
		errs = append(errs, field.Required(p, "MUTUAL mode needs privateKey (or credentialName)"))
	}
	return errs
}

// validateSkipVerify: with insecureSkipVerify nothing verifies the server,
// so settings that only serve verification are contradictions. (Under
// MUTUAL, credentialName still carries the client certificate.)
func validateSkipVerify(p *field.Path, tls *networking.ClientTLSSettings) field.ErrorList {
	if !tls.GetInsecureSkipVerify().GetValue() {
		return nil
	}
	verifies := tls.GetCaCertificates() != "" || tls.GetSubjectAltNames() != nil
	switch tls.GetMode() {
	case networking.ClientTLSSettings_SIMPLE:
		verifies = verifies || tls.GetCredentialName() != ""
	case networking.ClientTLSSettings_MUTUAL:
	default:
		return nil
	}
	if verifies {
		return field.ErrorList{field.Forbidden(p.Child("insecureSkipVerify"),
			"insecureSkipVerify cannot be combined with caCertificates, subjectAltNames or (in SIMPLE mode) credentialName")}
	}
	return nil
}

// validateConfigMapCredential: a configmap:// credential is read with the
// rule's own permissions, so it must name a ConfigMap of the rule's
// namespace.
func validateConfigMapCredential(p *field.Path, ns, name string) field.ErrorList {
	rest, ok := strings.CutPrefix(name, "configmap://")
	if !ok {
		return nil
	}
	cmNS, cmName, found := strings.Cut(rest, "/")
	if !found || cmNS == "" || cmName == "" {
		return field.ErrorList{invalid(p, name, "configmap:// credentialName must be configmap://<namespace>/<name>, got %q", name)}
	}
	if cmNS != ns || ns == "" {
		return field.ErrorList{invalid(p, name, "configmap:// credentialName must be in the rule's namespace %q, got %q", ns, cmNS)}
	}
	return nil
}
