package validation

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	networkingv1 "github.com/weftmesh/weft/apis/networking/v1"
)

// ValidateDestinationRule checks one DestinationRule.
func ValidateDestinationRule(dr *networkingv1.DestinationRule) field.ErrorList {
	spec, p := &dr.Spec, field.NewPath("spec")
	errs := validateHost(p.Child("host"), spec.Host)
	errs = append(errs, validateTrafficPolicy(p.Child("trafficPolicy"), spec.TrafficPolicy)...)
	errs = append(errs, validateSubsets(p.Child("subsets"), spec.Subsets)...)
	errs = append(errs, validateExportTo(p.Child("exportTo"), spec.ExportTo)...)
	if spec.WorkloadSelector != nil {
		errs = append(errs, validateLabels(p.Child("workloadSelector").Child("labels"), spec.WorkloadSelector.Labels)...)
	}
	return append(errs, validateDurations(p, spec)...)
}

// validateSubsets requires unique, non-empty names: VirtualServices refer
// to subsets by name, and the subset name becomes part of a cluster name.
func validateSubsets(p *field.Path, subsets []networkingv1.Subset) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, s := range subsets {
		sp := p.Index(i)
		switch {
		case s.Name == "":
			errs = append(errs, field.Required(sp.Child("name"), "subset name must not be empty"))
		case seen[s.Name]:
			errs = append(errs, duplicate(sp.Child("name"), s.Name, "duplicate subset name %q", s.Name))
		}
		seen[s.Name] = true
		errs = append(errs, validateLabels(sp.Child("labels"), s.Labels)...)
		errs = append(errs, validateTrafficPolicy(sp.Child("trafficPolicy"), s.TrafficPolicy)...)
	}
	return errs
}

func validateTrafficPolicy(p *field.Path, tp *networkingv1.TrafficPolicy) field.ErrorList {
	if tp == nil {
		return nil
	}
	errs := validatePortPolicy(p, tp.LoadBalancer, tp.ConnectionPool, tp.OutlierDetection, tp.TLS)
	seen := map[uint32]bool{}
	for i, pl := range tp.PortLevelSettings {
		pp := p.Child("portLevelSettings").Index(i)
		if pl.Port == nil {
			errs = append(errs, field.Required(pp.Child("port"), "port is required"))
		} else {
			errs = append(errs, validatePort(pp.Child("port").Child("number"), pl.Port.Number)...)
			if seen[pl.Port.Number] {
				errs = append(errs, duplicate(pp.Child("port").Child("number"), pl.Port.Number, "duplicate port %d", pl.Port.Number))
			}
			seen[pl.Port.Number] = true
		}
		errs = append(errs, validatePortPolicy(pp, pl.LoadBalancer, pl.ConnectionPool, pl.OutlierDetection, pl.TLS)...)
	}
	errs = append(errs, validateTunnel(p.Child("tunnel"), tp.Tunnel)...)
	if tp.ProxyProtocol != nil {
		errs = append(errs, oneOf(p.Child("proxyProtocol").Child("version"), tp.ProxyProtocol.Version, "V1", "V2")...)
	}
	return errs
}

// validatePortPolicy checks the parts a TrafficPolicy shares with its
// port-level overrides.
func validatePortPolicy(p *field.Path, lb *networkingv1.LoadBalancerSettings, cp *networkingv1.ConnectionPoolSettings,
	od *networkingv1.OutlierDetection, tls *networkingv1.ClientTLSSettings) field.ErrorList {
	errs := validateLoadBalancer(p.Child("loadBalancer"), lb)
	errs = append(errs, validateConnectionPool(p.Child("connectionPool"), cp)...)
	errs = append(errs, validateOutlierDetection(p.Child("outlierDetection"), od)...)
	return append(errs, validateClientTLS(p.Child("tls"), tls)...)
}

func validateLoadBalancer(p *field.Path, lb *networkingv1.LoadBalancerSettings) field.ErrorList {
	if lb == nil {
		return nil
	}
	errs := oneOf(p.Child("simple"), lb.Simple, "UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST")
	if lb.Simple != "" && lb.ConsistentHash != nil {
		errs = append(errs, field.Forbidden(p.Child("consistentHash"), "simple and consistentHash are mutually exclusive"))
	}
	errs = append(errs, validateConsistentHash(p.Child("consistentHash"), lb.ConsistentHash)...)
	return append(errs, validateLocality(p.Child("localityLbSetting"), lb.LocalityLbSetting)...)
}

func validateConsistentHash(p *field.Path, ch *networkingv1.ConsistentHashLB) field.ErrorList {
	if ch == nil {
		return nil
	}
	var keys []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"httpHeaderName", ch.HTTPHeaderName != ""}, {"httpCookie", ch.HTTPCookie != nil}, {"useSourceIp", ch.UseSourceIP}, {"httpQueryParameterName", ch.HTTPQueryParameterName != ""}} {
		if k.set {
			keys = append(keys, k.name)
		}
	}
	var errs field.ErrorList
	switch {
	case len(keys) == 0:
		errs = append(errs, field.Required(p, "one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName is required"))
	case len(keys) > 1:
		errs = append(errs, field.Forbidden(p.Child(keys[1]), fmt.Sprintf("%s cannot be combined with %s", keys[1], keys[0])))
	}
	if ch.HTTPCookie != nil && ch.HTTPCookie.Name == "" {
		errs = append(errs, field.Required(p.Child("httpCookie").Child("name"), "cookie name is required"))
	}
	if ch.RingHash != nil && ch.Maglev != nil {
		errs = append(errs, field.Forbidden(p.Child("maglev"), "ringHash and maglev are mutually exclusive"))
	}
	return errs
}

// validateLocality checks distribute and failover are not combined and
// each distribute entry's weights sum to 100, as Envoy needs.
func validateLocality(p *field.Path, l *networkingv1.LocalityLoadBalancerSetting) field.ErrorList {
	if l == nil {
		return nil
	}
	var errs field.ErrorList
	if len(l.Distribute) > 0 && len(l.Failover) > 0 {
		errs = append(errs, field.Forbidden(p.Child("failover"), "distribute and failover are mutually exclusive"))
	}
	for i, d := range l.Distribute {
		sum := uint64(0)
		for _, w := range d.To {
			sum += uint64(w)
		}
		if sum != 100 {
			errs = append(errs, invalid(p.Child("distribute").Index(i).Child("to"), sum, "locality weights must sum to 100, got %d", sum))
		}
	}
	return errs
}

func validateConnectionPool(p *field.Path, cp *networkingv1.ConnectionPoolSettings) field.ErrorList {
	if cp == nil {
		return nil
	}
	var errs field.ErrorList
	if t := cp.TCP; t != nil {
		errs = append(errs, nonNegative(p.Child("tcp").Child("maxConnections"), t.MaxConnections)...)
	}
	if h := cp.HTTP; h != nil {
		hp := p.Child("http")
		errs = append(errs, nonNegative(hp.Child("http1MaxPendingRequests"), h.HTTP1MaxPendingRequests)...)
		errs = append(errs, nonNegative(hp.Child("http2MaxRequests"), h.HTTP2MaxRequests)...)
		errs = append(errs, nonNegative(hp.Child("maxRequestsPerConnection"), h.MaxRequestsPerConnection)...)
		errs = append(errs, nonNegative(hp.Child("maxRetries"), h.MaxRetries)...)
		errs = append(errs, nonNegative(hp.Child("maxConcurrentStreams"), h.MaxConcurrentStreams)...)
		errs = append(errs, oneOf(hp.Child("h2UpgradePolicy"), h.H2UpgradePolicy, "DEFAULT", "DO_NOT_UPGRADE", "UPGRADE")...)
	}
	return errs
}

func validateOutlierDetection(p *field.Path, od *networkingv1.OutlierDetection) field.ErrorList {
	if od == nil {
		return nil
	}
	errs := nonNegative(p.Child("consecutiveErrors"), od.ConsecutiveErrors)
	errs = append(errs, validateIntPercent(p.Child("maxEjectionPercent"), od.MaxEjectionPercent)...)
	return append(errs, validateIntPercent(p.Child("minHealthPercent"), od.MinHealthPercent)...)
}

// validateClientTLS checks the mode; MUTUAL needs a client certificate,
// either as files or from a Secret (credentialName).
func validateClientTLS(p *field.Path, tls *networkingv1.ClientTLSSettings) field.ErrorList {
	if tls == nil {
		return nil
	}
	errs := oneOf(p.Child("mode"), tls.Mode, "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL")
	if tls.Mode == "MUTUAL" && tls.CredentialName == "" {
		if tls.ClientCertificate == "" {
			errs = append(errs, field.Required(p.Child("clientCertificate"), "MUTUAL mode needs clientCertificate (or credentialName)"))
		}
		if tls.PrivateKey == "" {
			errs = append(errs, field.Required(p.Child("privateKey"), "MUTUAL mode needs privateKey (or credentialName)"))
		}
	}
	return errs
}

func validateTunnel(p *field.Path, t *networkingv1.TunnelSettings) field.ErrorList {
	if t == nil {
		return nil
	}
	errs := oneOf(p.Child("protocol"), t.Protocol, "CONNECT", "POST")
	if t.TargetHost == "" {
		errs = append(errs, field.Required(p.Child("targetHost"), "targetHost is required"))
	}
	return append(errs, validatePort(p.Child("targetPort"), t.TargetPort)...)
}

func nonNegative(p *field.Path, v int32) field.ErrorList {
	if v < 0 {
		return field.ErrorList{invalid(p, v, "must not be negative, got %d", v)}
	}
	return nil
}
