package mesh

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

func serviceToDoc(s *Service) (serviceDoc, error) {
	res, err := nameOf(resolutionNames, s.Resolution, "resolution")
	if err != nil {
		return serviceDoc{}, fmt.Errorf("service %s: %w", s.Hostname, err)
	}
	d := serviceDoc{Hostname: s.Hostname, Namespace: s.Namespace, Name: s.Name, Addresses: s.Addresses, Resolution: res, External: s.External, SANs: s.SubjectAltNames, ExportTo: s.ExportTo}
	for _, p := range s.Ports {
		pd := portDoc{Name: p.Name, Number: p.Number, Protocol: p.Protocol}
		for _, ep := range s.Endpoints[p.Number] {
			pd.Endpoints = append(pd.Endpoints, endpointDoc(ep))
		}
		d.Ports = append(d.Ports, pd)
	}
	// Endpoints hang under their port; one keyed by a port the service lacks
	// would vanish from the text, so refuse rather than lose it.
	for num, eps := range s.Endpoints {
		if _, ok := s.Port(num); !ok && len(eps) > 0 {
			return serviceDoc{}, fmt.Errorf("service %s: endpoints for port %d, which it does not have", s.Hostname, num)
		}
	}
	return d, nil
}

func serviceFromDoc(d *serviceDoc) (*Service, error) {
	res, err := valueOf(resolutionNames, d.Resolution, "resolution")
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", d.Hostname, err)
	}
	s := &Service{Hostname: d.Hostname, Namespace: d.Namespace, Name: d.Name, Addresses: d.Addresses, Resolution: res, External: d.External, SubjectAltNames: d.SANs, ExportTo: d.ExportTo}
	for _, pd := range d.Ports {
		if err := checkKnown(knownProtocols, pd.Protocol, "protocol"); err != nil {
			return nil, fmt.Errorf("service %s port %d: %w", d.Hostname, pd.Number, err)
		}
		s.Ports = append(s.Ports, Port{Name: pd.Name, Number: pd.Number, Protocol: pd.Protocol})
		for _, ep := range pd.Endpoints {
			if s.Endpoints == nil {
				s.Endpoints = map[uint32][]Endpoint{}
			}
			s.Endpoints[pd.Number] = append(s.Endpoints[pd.Number], Endpoint(ep))
		}
	}
	return s, nil
}

func clusterToDoc(c *Cluster) (clusterDoc, error) {
	if c.Service == nil || c.Service.Hostname != c.Key.Host || c.Port.Number != c.Key.Port {
		return clusterDoc{}, fmt.Errorf("cluster %s: its service and port must be the key's host and port", c.Key)
	}
	pd, err := policyToDoc(c.Policy)
	if err != nil {
		return clusterDoc{}, fmt.Errorf("cluster %s: %w", c.Key, err)
	}
	return clusterDoc{Name: c.Key.String(), SubsetLabels: c.SubsetLabels, Policy: pd}, nil
}

func clusterFromDoc(d *clusterDoc, byHost map[string]*Service) (*Cluster, error) {
	key, err := ParseClusterKey(d.Name)
	if err != nil {
		return nil, err
	}
	svc := byHost[key.Host]
	if svc == nil {
		return nil, fmt.Errorf("cluster %s: no service %s", d.Name, key.Host)
	}
	port, ok := svc.Port(key.Port)
	if !ok {
		return nil, fmt.Errorf("cluster %s: service %s has no port %d", d.Name, key.Host, key.Port)
	}
	policy, err := policyFromDoc(d.Policy)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", d.Name, err)
	}
	return &Cluster{Key: key, Service: svc, Port: port, SubsetLabels: d.SubsetLabels, Policy: policy}, nil
}

func policyToDoc(p TrafficPolicy) (*policyDoc, error) {
	if p.LoadBalancer == nil && p.ConnectionPool == nil && p.OutlierDetection == nil && p.TLS == nil && p.TCPProxy == nil && p.LocalityLB == nil {
		return nil, nil
	}
	d := &policyDoc{TCPProxy: tcpProxyToDoc(p.TCPProxy), LocalityLB: p.LocalityLB}
	if lb := p.LoadBalancer; lb != nil {
		d.LoadBalancer = &lbDoc{Kind: lb.Kind}
		if h := lb.Hash; h != nil {
			d.LoadBalancer.Hash = &hashDoc{Header: h.Header, Cookie: h.Cookie, CookiePath: h.CookiePath, CookieTTL: durString(h.CookieTTL),
				SourceIP: h.SourceIP, QueryParam: h.QueryParam, MinRingSize: h.MinRingSize}
		}
	}
	if cp := p.ConnectionPool; cp != nil {
		d.ConnectionPool = &poolDoc{MaxConnections: cp.MaxConnections, ConnectTimeout: durString(cp.ConnectTimeout),
			MaxPendingRequests: cp.MaxPendingRequests, MaxRequests: cp.MaxRequests, MaxRequestsPerConnection: cp.MaxRequestsPerConnection,
			MaxRetries: cp.MaxRetries, IdleTimeout: durString(cp.IdleTimeout), H2Upgrade: cp.H2Upgrade,
			TCPKeepalive: keepaliveToDoc(cp.TCPKeepalive)}
		poolExtrasToDoc(cp, d.ConnectionPool)
	}
	if od := p.OutlierDetection; od != nil {
		d.OutlierDetection = &outlierDoc{Consecutive5xx: od.Consecutive5xx, ConsecutiveGateway: od.ConsecutiveGateway,
			Interval: durString(od.Interval), BaseEjectionTime: durString(od.BaseEjectionTime), MaxEjectionPercent: od.MaxEjectionPercent,
			MinHealthPercent: od.MinHealthPercent, SplitExternalLocalErr: od.SplitExternalLocalErr,
			ConsecutiveLocalOrigin: od.ConsecutiveLocalOrigin, FailurePercentage: od.FailurePercentage}
	}
	tls, err := tlsToDoc(p.TLS)
	d.TLS = tls
	return d, err
}

func keepaliveToDoc(k *TCPKeepalive) *keepaliveDoc {
	if k == nil {
		return nil
	}
	return &keepaliveDoc{Probes: k.Probes, Time: durString(k.Time), Interval: durString(k.Interval)}
}

func policyFromDoc(d *policyDoc) (TrafficPolicy, error) {
	var p TrafficPolicy
	if d == nil {
		return p, nil
	}
	tcpProxy, err := tcpProxyFromDoc(d.TCPProxy)
	p.TCPProxy = tcpProxy
	p.LocalityLB = d.LocalityLB
	errs := []error{err}
	pd := func(s, field string) time.Duration {
		v, err := parseDur(s, field)
		errs = append(errs, err)
		return v
	}
	if lb := d.LoadBalancer; lb != nil {
		errs = append(errs, checkKnown(knownLBKinds, lb.Kind, "load balancer"))
		p.LoadBalancer = &LoadBalancer{Kind: lb.Kind}
		if h := lb.Hash; h != nil {
			p.LoadBalancer.Hash = &HashKey{Header: h.Header, Cookie: h.Cookie, CookiePath: h.CookiePath, CookieTTL: pd(h.CookieTTL, "cookieTTL"),
				SourceIP: h.SourceIP, QueryParam: h.QueryParam, MinRingSize: h.MinRingSize}
		}
	}
	if cp := d.ConnectionPool; cp != nil {
		p.ConnectionPool = &ConnectionPool{MaxConnections: cp.MaxConnections, ConnectTimeout: pd(cp.ConnectTimeout, "connectTimeout"),
			MaxPendingRequests: cp.MaxPendingRequests, MaxRequests: cp.MaxRequests, MaxRequestsPerConnection: cp.MaxRequestsPerConnection,
			MaxRetries: cp.MaxRetries, IdleTimeout: pd(cp.IdleTimeout, "idleTimeout"), H2Upgrade: cp.H2Upgrade}
		if k := cp.TCPKeepalive; k != nil {
			p.ConnectionPool.TCPKeepalive = &TCPKeepalive{Probes: k.Probes, Time: pd(k.Time, "tcpKeepalive.time"),
				Interval: pd(k.Interval, "tcpKeepalive.interval")}
		}
		errs = append(errs, poolExtrasFromDoc(cp, p.ConnectionPool))
	}
	if od := d.OutlierDetection; od != nil {
		p.OutlierDetection = &OutlierDetection{Consecutive5xx: od.Consecutive5xx, ConsecutiveGateway: od.ConsecutiveGateway,
			Interval: pd(od.Interval, "interval"), BaseEjectionTime: pd(od.BaseEjectionTime, "baseEjectionTime"),
			MaxEjectionPercent: od.MaxEjectionPercent, MinHealthPercent: od.MinHealthPercent, SplitExternalLocalErr: od.SplitExternalLocalErr,
			ConsecutiveLocalOrigin: od.ConsecutiveLocalOrigin, FailurePercentage: od.FailurePercentage}
	}
	tls, err := tlsFromDoc(d.TLS)
	p.TLS = tls
	return p, errors.Join(append(errs, err)...)
}

func virtualHostToDoc(vh *VirtualHost) virtualHostDoc {
	d := virtualHostDoc{Host: vh.Service.Hostname, Port: vh.Port.Number}
	for _, r := range vh.HTTPRoutes {
		d.HTTPRoutes = append(d.HTTPRoutes, httpRouteToDoc(r))
	}
	for _, r := range vh.TCPRoutes {
		d.TCPRoutes = append(d.TCPRoutes, tcpRouteDoc{Origin: r.Origin, Port: r.Port, SourceLabels: r.SourceLabels,
			SourceNamespace: r.SourceNamespace, Destinations: destinationsToDoc(r.Destinations)})
	}
	d.TLSRoutes = tlsRoutesToDoc(vh.TLSRoutes)
	return d
}

func virtualHostFromDoc(d *virtualHostDoc, byHost map[string]*Service) (*VirtualHost, error) {
	svc := byHost[d.Host]
	if svc == nil {
		return nil, fmt.Errorf("virtual host %s:%d: no such service", d.Host, d.Port)
	}
	port, ok := svc.Port(d.Port)
	if !ok {
		return nil, fmt.Errorf("virtual host %s:%d: no such port", d.Host, d.Port)
	}
	vh := &VirtualHost{Service: svc, Port: port}
	for i := range d.HTTPRoutes {
		r, err := httpRouteFromDoc(&d.HTTPRoutes[i])
		if err != nil {
			return nil, fmt.Errorf("virtual host %s:%d: http route %d: %w", d.Host, d.Port, i, err)
		}
		vh.HTTPRoutes = append(vh.HTTPRoutes, r)
	}
	for _, td := range d.TCPRoutes {
		dests, err := destinationsFromDoc(td.Destinations)
		if err != nil {
			return nil, fmt.Errorf("virtual host %s:%d: tcp route %s: %w", d.Host, d.Port, td.Origin, err)
		}
		vh.TCPRoutes = append(vh.TCPRoutes, &TCPRoute{Origin: td.Origin, Port: td.Port, SourceLabels: td.SourceLabels,
			SourceNamespace: td.SourceNamespace, Destinations: dests})
	}
	var err error
	if vh.TLSRoutes, err = tlsRoutesFromDoc(d.TLSRoutes); err != nil {
		return nil, fmt.Errorf("virtual host %s:%d: %w", d.Host, d.Port, err)
	}
	return vh, nil
}

func httpRouteToDoc(r *HTTPRoute) httpRouteDoc {
	d := httpRouteDoc{Name: r.Name, Origin: r.Origin, Destinations: destinationsToDoc(r.Destinations),
		Timeout: durString(r.Timeout), Headers: headerOpsToDoc(r.Headers), Cors: corsToDoc(r.Cors)}
	for _, m := range r.Matches {
		d.Matches = append(d.Matches, matchToDoc(m))
	}
	if r.Redirect != nil {
		d.Redirect = (*redirectDoc)(r.Redirect)
	}
	if r.DirectResponse != nil {
		d.DirectResponse = (*directResponseDoc)(r.DirectResponse)
	}
	if r.Rewrite != nil {
		d.Rewrite = (*rewriteDoc)(r.Rewrite)
	}
	if rt := r.Retry; rt != nil {
		d.Retry = &retryDoc{Attempts: rt.Attempts, PerTryTimeout: durString(rt.PerTryTimeout), RetryOn: rt.RetryOn,
			StatusCodes: rt.StatusCodes, Backoff: durString(rt.Backoff), RemoteLocalities: rt.RemoteLocalities, AllowPreviousHosts: rt.AllowPreviousHosts}
	}
	if f := r.Fault; f != nil {
		d.Fault = &faultDoc{}
		if f.HasDelay {
			d.Fault.Delay = &delayDoc{Fixed: f.Delay.String(), Percent: f.DelayPercent}
		}
		if f.HasAbort {
			d.Fault.Abort = &abortDoc{HTTPStatus: f.AbortHTTP, GRPCStatus: f.AbortGRPC, Percent: f.AbortPercent}
		}
	}
	for _, mr := range r.Mirrors {
		d.Mirrors = append(d.Mirrors, mirrorDoc{Cluster: mr.Cluster.String(), Percent: mr.Percent})
	}
	return d
}

func httpRouteFromDoc(d *httpRouteDoc) (*HTTPRoute, error) {
	var errs []error
	r := &HTTPRoute{Name: d.Name, Origin: d.Origin, Headers: headerOpsFromDoc(d.Headers)}
	dests, err := destinationsFromDoc(d.Destinations)
	errs = append(errs, err)
	r.Destinations = dests
	r.Timeout, err = parseDur(d.Timeout, "timeout")
	errs = append(errs, err)
	for _, md := range d.Matches {
		r.Matches = append(r.Matches, matchFromDoc(md))
	}
	r.Redirect, r.DirectResponse, r.Rewrite = (*Redirect)(d.Redirect), (*DirectResponse)(d.DirectResponse), (*Rewrite)(d.Rewrite)
	if rd := d.Retry; rd != nil {
		r.Retry = &Retry{Attempts: rd.Attempts, RetryOn: rd.RetryOn, StatusCodes: rd.StatusCodes,
			RemoteLocalities: rd.RemoteLocalities, AllowPreviousHosts: rd.AllowPreviousHosts}
		r.Retry.PerTryTimeout, err = parseDur(rd.PerTryTimeout, "retry.perTryTimeout")
		errs = append(errs, err)
		r.Retry.Backoff, err = parseDur(rd.Backoff, "retry.backoff")
		errs = append(errs, err)
	}
	if fd := d.Fault; fd != nil {
		r.Fault = &Fault{}
		if dl := fd.Delay; dl != nil {
			r.Fault.HasDelay, r.Fault.DelayPercent = true, dl.Percent
			r.Fault.Delay, err = time.ParseDuration(dl.Fixed)
			errs = append(errs, wrapField(err, "fault.delay.fixed"))
		}
		if ab := fd.Abort; ab != nil {
			r.Fault.HasAbort, r.Fault.AbortHTTP, r.Fault.AbortGRPC, r.Fault.AbortPercent = true, ab.HTTPStatus, ab.GRPCStatus, ab.Percent
		}
	}
	for _, md := range d.Mirrors {
		key, err := ParseClusterKey(md.Cluster)
		errs = append(errs, err)
		r.Mirrors = append(r.Mirrors, Mirror{Cluster: key, Percent: md.Percent})
	}
	r.Cors, err = corsFromDoc(d.Cors)
	errs = append(errs, err)
	return r, errors.Join(errs...)
}

func wrapField(err error, field string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", field, err)
}

func destinationsToDoc(ds []Destination) []destinationDoc {
	out := make([]destinationDoc, 0, len(ds))
	for _, d := range ds {
		out = append(out, destinationDoc{Cluster: d.Cluster.String(), Weight: d.Weight, Headers: headerOpsToDoc(d.Headers)})
	}
	return out
}

func destinationsFromDoc(ds []destinationDoc) ([]Destination, error) {
	var out []Destination
	for _, d := range ds {
		key, err := ParseClusterKey(d.Cluster)
		if err != nil {
			return nil, err
		}
		out = append(out, Destination{Cluster: key, Weight: d.Weight, Headers: headerOpsFromDoc(d.Headers)})
	}
	return out, nil
}

func headerOpsToDoc(h HeaderOps) *headerOpsDoc {
	if h.Empty() {
		return nil
	}
	d := headerOpsDoc(h)
	return &d
}

func headerOpsFromDoc(d *headerOpsDoc) HeaderOps {
	if d == nil {
		return HeaderOps{}
	}
	return HeaderOps(*d)
}

func matchToDoc(m Match) matchDoc {
	d := matchDoc{URI: stringMatchToDoc(m.URI), IgnoreURICase: m.IgnoreURICase, Port: m.Port,
		SourceLabels: m.SourceLabels, SourceNamespace: m.SourceNamespace}
	d.Headers = headerMatchesToDoc(m.Headers)
	d.QueryParams = headerMatchesToDoc(m.QueryParams)
	return d
}

func matchFromDoc(d matchDoc) Match {
	return Match{URI: stringMatchFromDoc(d.URI), IgnoreURICase: d.IgnoreURICase, Port: d.Port, SourceLabels: d.SourceLabels,
		SourceNamespace: d.SourceNamespace, Headers: headerMatchesFromDoc(d.Headers), QueryParams: headerMatchesFromDoc(d.QueryParams)}
}

func headerMatchesToDoc(hs []HeaderMatch) []headerMatchDoc {
	var out []headerMatchDoc
	for _, h := range hs {
		out = append(out, headerMatchDoc{Name: h.Name, Match: *stringMatchToDoc(&h.Match), Invert: h.Invert})
	}
	return out
}

func headerMatchesFromDoc(ds []headerMatchDoc) []HeaderMatch {
	var out []HeaderMatch
	for _, d := range ds {
		out = append(out, HeaderMatch{Name: d.Name, Match: *stringMatchFromDoc(&d.Match), Invert: d.Invert})
	}
	return out
}

// stringMatchToDoc names the kind by its key, as Istio's StringMatch does.
func stringMatchToDoc(s *StringMatch) *stringMatchDoc {
	if s == nil {
		return nil
	}
	v := s.Value
	switch s.Kind {
	case MatchPrefix:
		return &stringMatchDoc{Prefix: &v}
	case MatchRegex:
		return &stringMatchDoc{Regex: &v}
	}
	return &stringMatchDoc{Exact: &v}
}

func stringMatchFromDoc(d *stringMatchDoc) *StringMatch {
	switch {
	case d == nil:
		return nil
	case d.Prefix != nil:
		return &StringMatch{Kind: MatchPrefix, Value: *d.Prefix}
	case d.Regex != nil:
		return &StringMatch{Kind: MatchRegex, Value: *d.Regex}
	case d.Exact != nil:
		return &StringMatch{Kind: MatchExact, Value: *d.Exact}
	}
	return &StringMatch{Kind: MatchExact}
}

func corsToDoc(c *Cors) *corsDoc {
	if c == nil {
		return nil
	}
	d := &corsDoc{AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders, ExposeHeaders: c.ExposeHeaders,
		MaxAge: durString(c.MaxAge), AllowCredentials: c.AllowCredentials}
	for i := range c.AllowOrigins {
		d.AllowOrigins = append(d.AllowOrigins, *stringMatchToDoc(&c.AllowOrigins[i]))
	}
	return d
}

func corsFromDoc(d *corsDoc) (*Cors, error) {
	if d == nil {
		return nil, nil
	}
	maxAge, err := parseDur(d.MaxAge, "cors.maxAge")
	c := &Cors{AllowMethods: d.AllowMethods, AllowHeaders: d.AllowHeaders, ExposeHeaders: d.ExposeHeaders, MaxAge: maxAge,
		AllowCredentials: d.AllowCredentials}
	for i := range d.AllowOrigins {
		c.AllowOrigins = append(c.AllowOrigins, *stringMatchFromDoc(&d.AllowOrigins[i]))
	}
	return c, err
}

func peerAuthnToDoc(pa PeerAuthn) *peerAuthnDoc {
	if !pa.Any() {
		return nil
	}
	d := &peerAuthnDoc{Mesh: peerPolicyToDoc(pa.Mesh)}
	for ns, p := range pa.Namespace {
		if d.Namespaces == nil {
			d.Namespaces = map[string]*peerPolicyDoc{}
		}
		d.Namespaces[ns] = peerPolicyToDoc(p)
	}
	for ns, ps := range pa.Workload {
		if d.Workloads == nil {
			d.Workloads = map[string][]*peerPolicyDoc{}
		}
		for _, p := range ps {
			d.Workloads[ns] = append(d.Workloads[ns], peerPolicyToDoc(p))
		}
	}
	return d
}

func peerPolicyToDoc(p *PeerPolicy) *peerPolicyDoc {
	if p == nil {
		return nil
	}
	return &peerPolicyDoc{Kind: p.Ref.Kind, Namespace: p.Ref.Namespace, Name: p.Ref.Name, Selector: p.Selector, Mode: p.Mode, Ports: p.Ports}
}

// checkPeerModes validates every mode before peerAuthnFromDoc converts them.
func checkPeerModes(d *peerAuthnDoc) error {
	if d == nil {
		return nil
	}
	var errs []error
	check := func(p *peerPolicyDoc) {
		if p == nil {
			return
		}
		errs = append(errs, checkKnown(knownMTLSModes, p.Mode, "mTLS mode"))
		for _, m := range p.Ports {
			errs = append(errs, checkKnown(knownMTLSModes, m, "mTLS mode"))
		}
	}
	check(d.Mesh)
	for _, p := range d.Namespaces {
		check(p)
	}
	for _, ps := range d.Workloads {
		for _, p := range ps {
			check(p)
		}
	}
	return errors.Join(errs...)
}

func peerAuthnFromDoc(d *peerAuthnDoc) PeerAuthn {
	pa := PeerAuthn{Namespace: map[string]*PeerPolicy{}, Workload: map[string][]*PeerPolicy{}}
	if d == nil {
		return pa
	}
	pa.Mesh = peerPolicyFromDoc(d.Mesh)
	for ns, p := range d.Namespaces {
		pa.Namespace[ns] = peerPolicyFromDoc(p)
	}
	for ns, ps := range d.Workloads {
		for _, p := range ps {
			pa.Workload[ns] = append(pa.Workload[ns], peerPolicyFromDoc(p))
		}
	}
	return pa
}

func peerPolicyFromDoc(d *peerPolicyDoc) *PeerPolicy {
	if d == nil {
		return nil
	}
	return &PeerPolicy{Ref: Ref{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name}, Selector: d.Selector, Mode: d.Mode, Ports: d.Ports}
}

// scopesToDoc writes hosts in the Sidecar's own "namespace/host" form.
func scopesToDoc(sc *Scopes) *scopesDoc {
	if sc == nil {
		return nil
	}
	d := &scopesDoc{RootNamespace: sc.RootNamespace}
	for ns, list := range sc.ByNamespace {
		for _, s := range list {
			sd := &scopeDoc{Kind: s.Ref.Kind, Namespace: s.Ref.Namespace, Name: s.Ref.Name, Selector: s.Selector, RegistryOnly: s.RegistryOnly}
			for _, h := range s.Hosts {
				sd.Hosts = append(sd.Hosts, h.Namespace+"/"+h.Host)
			}
			scopeExtrasToDoc(s, sd)
			if d.ByNamespace == nil {
				d.ByNamespace = map[string][]*scopeDoc{}
			}
			d.ByNamespace[ns] = append(d.ByNamespace[ns], sd)
		}
	}
	return d
}

func scopesFromDoc(d *scopesDoc) (*Scopes, error) {
	if d == nil {
		return nil, nil
	}
	sc := &Scopes{RootNamespace: d.RootNamespace, ByNamespace: map[string][]*Scope{}}
	for ns, list := range d.ByNamespace {
		for _, sd := range list {
			s := &Scope{Ref: Ref{Kind: sd.Kind, Namespace: sd.Namespace, Name: sd.Name}, Selector: sd.Selector, RegistryOnly: sd.RegistryOnly}
			for _, h := range sd.Hosts {
				hns, host, _ := strings.Cut(h, "/")
				s.Hosts = append(s.Hosts, HostPattern{Namespace: hns, Host: host})
			}
			if err := scopeExtrasFromDoc(sd, s); err != nil {
				return nil, fmt.Errorf("sidecar scope %s/%s: %w", sd.Namespace, sd.Name, err)
			}
			sc.ByNamespace[ns] = append(sc.ByNamespace[ns], s)
		}
	}
	return sc, nil
}
