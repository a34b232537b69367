package validation

//lint:file-ignore SA1019 Istio still honours its deprecated fields (fault.delay.percent, mirrorPercent, LEAST_CONN, consecutiveErrors, minimumRingSize), and so must weft.

import (
	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateDestinationRule checks one DestinationRule.
func ValidateDestinationRule(dr *networkingv1.DestinationRule) field.ErrorList {
	spec, p := &dr.Spec, field.NewPath("spec")
	errs := validateHost(p.Child("host"), spec.GetHost())
	errs = append(errs, validateTrafficPolicy(p.Child("trafficPolicy"), spec.GetTrafficPolicy())...)
	errs = append(errs, validateSubsets(p.Child("subsets"), spec.GetSubsets())...)
	errs = append(errs, validateExportTo(p.Child("exportTo"), spec.GetExportTo())...)
	if ws := spec.GetWorkloadSelector(); ws != nil {
		errs = append(errs, validateLabels(p.Child("workloadSelector").Child("matchLabels"), ws.GetMatchLabels())...)
	}
	return errs
}

// validateSubsets requires unique, non-empty names: VirtualServices refer
// to subsets by name, and the subset name becomes part of a cluster name.
func validateSubsets(p *field.Path, subsets []*networking.Subset) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, s := range subsets {
		sp, name := p.Index(i), s.GetName()
		switch {
		case name == "":
			errs = append(errs, field.Required(sp.Child("name"), "subset name must not be empty"))
		case seen[name]:
			errs = append(errs, duplicate(sp.Child("name"), name, "duplicate subset name %q", name))
		}
		seen[name] = true
		errs = append(errs, validateLabels(sp.Child("labels"), s.GetLabels())...)
		errs = append(errs, validateTrafficPolicy(sp.Child("trafficPolicy"), s.GetTrafficPolicy())...)
	}
	return errs
}

// validateTrafficPolicy checks a policy and its port-level overrides; the
// proxy protocol version is an enum the decoder has already checked.
func validateTrafficPolicy(p *field.Path, tp *networking.TrafficPolicy) field.ErrorList {
	if tp == nil {
		return nil
	}
	errs := validatePortPolicy(p, tp.GetLoadBalancer(), tp.GetConnectionPool(), tp.GetOutlierDetection(), tp.GetTls())
	seen := map[uint32]bool{}
	for i, pl := range tp.GetPortLevelSettings() {
		pp := p.Child("portLevelSettings").Index(i)
		if pl.GetPort() == nil {
			errs = append(errs, field.Required(pp.Child("port"), "port is required"))
		} else {
			n := pl.GetPort().GetNumber()
			errs = append(errs, validatePort(pp.Child("port").Child("number"), n)...)
			if seen[n] {
				errs = append(errs, duplicate(pp.Child("port").Child("number"), n, "duplicate port %d", n))
			}
			seen[n] = true
		}
		errs = append(errs, validatePortPolicy(pp, pl.GetLoadBalancer(), pl.GetConnectionPool(), pl.GetOutlierDetection(), pl.GetTls())...)
	}
	return append(errs, validateTunnel(p.Child("tunnel"), tp.GetTunnel())...)
}

// validatePortPolicy checks the parts a TrafficPolicy shares with its
// port-level overrides.
func validatePortPolicy(p *field.Path, lb *networking.LoadBalancerSettings, cp *networking.ConnectionPoolSettings,
	od *networking.OutlierDetection, tls *networking.ClientTLSSettings) field.ErrorList {
	errs := validateLoadBalancer(p.Child("loadBalancer"), lb)
	errs = append(errs, validateConnectionPool(p.Child("connectionPool"), cp)...)
	errs = append(errs, validateOutlierDetection(p.Child("outlierDetection"), od)...)
	return append(errs, validateClientTLS(p.Child("tls"), tls)...)
}

// validateLoadBalancer checks consistent hashing and locality settings;
// simple and consistentHash are a oneof, so setting both is a decode error.
func validateLoadBalancer(p *field.Path, lb *networking.LoadBalancerSettings) field.ErrorList {
	if lb == nil {
		return nil
	}
	errs := validateConsistentHash(p.Child("consistentHash"), lb.GetConsistentHash())
	return append(errs, validateLocality(p.Child("localityLbSetting"), lb.GetLocalityLbSetting())...)
}

// validateConsistentHash requires a hash key. The keys are a oneof, so at
// most one is set; useSourceIp: false hashes on nothing and counts as unset.
func validateConsistentHash(p *field.Path, ch *networking.LoadBalancerSettings_ConsistentHashLB) field.ErrorList {
	if ch == nil {
		return nil
	}
	var errs field.ErrorList
	switch k := ch.GetHashKey().(type) {
	case nil:
		errs = append(errs, field.Required(p, "one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName is required"))
	case *networking.LoadBalancerSettings_ConsistentHashLB_UseSourceIp:
		if !k.UseSourceIp {
			errs = append(errs, field.Required(p, "one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName is required"))
		}
	case *networking.LoadBalancerSettings_ConsistentHashLB_HttpCookie:
		if k.HttpCookie.GetName() == "" {
			errs = append(errs, field.Required(p.Child("httpCookie").Child("name"), "cookie name is required"))
		}
	}
	return errs
}

// validateLocality checks distribute and failover are not combined and
// each distribute entry's weights sum to 100, as Envoy needs.
func validateLocality(p *field.Path, l *networking.LocalityLoadBalancerSetting) field.ErrorList {
	if l == nil {
		return nil
	}
	var errs field.ErrorList
	if len(l.GetDistribute()) > 0 && len(l.GetFailover()) > 0 {
		errs = append(errs, field.Forbidden(p.Child("failover"), "distribute and failover are mutually exclusive"))
	}
	for i, d := range l.GetDistribute() {
		sum := uint64(0)
		for _, w := range d.GetTo() {
			sum += uint64(w)
		}
		if sum != 100 {
			errs = append(errs, invalid(p.Child("distribute").Index(i).Child("to"), sum, "locality weights must sum to 100, got %d", sum))
		}
	}
	return errs
}

// validateConnectionPool checks limits are not negative; the h2 upgrade
// policy is an enum the decoder has already checked.
func validateConnectionPool(p *field.Path, cp *networking.ConnectionPoolSettings) field.ErrorList {
	if cp == nil {
		return nil
	}
	var errs field.ErrorList
	if t := cp.GetTcp(); t != nil {
		errs = append(errs, nonNegative(p.Child("tcp").Child("maxConnections"), t.GetMaxConnections())...)
	}
	if h := cp.GetHttp(); h != nil {
		hp := p.Child("http")
		errs = append(errs, nonNegative(hp.Child("http1MaxPendingRequests"), h.GetHttp1MaxPendingRequests())...)
		errs = append(errs, nonNegative(hp.Child("http2MaxRequests"), h.GetHttp2MaxRequests())...)
		errs = append(errs, nonNegative(hp.Child("maxRequestsPerConnection"), h.GetMaxRequestsPerConnection())...)
		errs = append(errs, nonNegative(hp.Child("maxRetries"), h.GetMaxRetries())...)
		errs = append(errs, nonNegative(hp.Child("maxConcurrentStreams"), h.GetMaxConcurrentStreams())...)
	}
	return errs
}

func validateOutlierDetection(p *field.Path, od *networking.OutlierDetection) field.ErrorList {
	if od == nil {
		return nil
	}
	errs := nonNegative(p.Child("consecutiveErrors"), od.GetConsecutiveErrors())
	errs = append(errs, validateIntPercent(p.Child("maxEjectionPercent"), od.GetMaxEjectionPercent())...)
	return append(errs, validateIntPercent(p.Child("minHealthPercent"), od.GetMinHealthPercent())...)
}

// validateClientTLS: MUTUAL needs a client certificate, either as files or
// from a Secret (credentialName). The mode is an enum the decoder checked.
func validateClientTLS(p *field.Path, tls *networking.ClientTLSSettings) field.ErrorList {
	if tls.GetMode() != networking.ClientTLSSettings_MUTUAL || tls.GetCredentialName() != "" {
		return nil
	}
	var errs field.ErrorList
	if tls.GetClientCertificate() == "" {
		errs = append(errs, field.Required(p.Child("clientCertificate"), "MUTUAL mode needs clientCertificate (or credentialName)"))
	}
	if tls.GetPrivateKey() == "" {
		errs = append(errs, field.Required(p.Child("privateKey"), "MUTUAL mode needs privateKey (or credentialName)"))
	}
	return errs
}

// validateTunnel checks tunnel settings; Istio keeps the protocol a string.
func validateTunnel(p *field.Path, t *networking.TrafficPolicy_TunnelSettings) field.ErrorList {
	if t == nil {
		return nil
	}
	errs := oneOf(p.Child("protocol"), t.GetProtocol(), "CONNECT", "POST")
	if t.GetTargetHost() == "" {
		errs = append(errs, field.Required(p.Child("targetHost"), "targetHost is required"))
	}
	return append(errs, validatePort(p.Child("targetPort"), t.GetTargetPort())...)
}

func nonNegative(p *field.Path, v int32) field.ErrorList {
	if v < 0 {
		return field.ErrorList{invalid(p, v, "must not be negative, got %d", v)}
	}
	return nil
}
