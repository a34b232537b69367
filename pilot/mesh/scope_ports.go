package mesh

import "slices"

// EgressListener is a Sidecar egress listener on one port: traffic to
// that port sees only its hosts, whatever the catch-all listener imports.
type EgressListener struct {
	Port  Port
	Hosts []HostPattern
	// Bind and CaptureNone: the listener's address, and whether it binds
	// the port itself (captureMode NONE, on 127.0.0.1 by default) rather
	// than serving connections iptables redirects.
	Bind        string
	CaptureNone bool
}

// portListener is the first egress listener on port, nil when the
// catch-all listener (Scope.Hosts) governs the port.
func (s *Scope) portListener(port uint32) *EgressListener {
	for i := range s.EgressPorts {
		if s.EgressPorts[i].Port.Number == port {
			return &s.EgressPorts[i]
		}
	}
	return nil
}

// PortListener is the egress listener that governs port, if any.
func (s *Scope) PortListener(port uint32) *EgressListener {
	if s == nil {
		return nil
	}
	return s.portListener(port)
}

// SeesPort reports whether svc's port is routed under the scope. An HTTP
// egress listener on the port gives it only its hosts: istiod's route
// configuration for the port takes that listener's services alone. A TCP
// one adds its hosts, for istiod keys TCP listeners by service address, so
// the catch-all listener's services keep theirs.
func (s *Scope) SeesPort(svc *Service, port uint32) bool {
	if s == nil {
		return true
	}
	l := s.portListener(port)
	switch {
	case l == nil:
		return anyMatches(s.Hosts, svc)
	case l.Port.Protocol.IsHTTP():
		return anyMatches(l.Hosts, svc)
	}
	return anyMatches(l.Hosts, svc) || anyMatches(s.Hosts, svc)
}

// SeesCluster reports whether the proxy gets svc's cluster on port: the
// catch-all listener imports every port of its services, a port listener
// only its own port.
func (s *Scope) SeesCluster(svc *Service, port uint32) bool {
	if s == nil || anyMatches(s.Hosts, svc) {
		return true
	}
	l := s.portListener(port)
	return l != nil && anyMatches(l.Hosts, svc)
}

// seesOnAPort: some egress listener imports svc on a port svc has.
func (s *Scope) seesOnAPort(svc *Service) bool {
	return slices.ContainsFunc(s.EgressPorts, func(l EgressListener) bool {
		_, has := svc.Port(l.Port.Number)
		return has && anyMatches(l.Hosts, svc)
	})
}

func anyMatches(hosts []HostPattern, svc *Service) bool {
	return slices.ContainsFunc(hosts, func(h HostPattern) bool { return h.matches(svc) })
}

// usesOwnNamespace: some host says "." (a root-namespace default).
func (s *Scope) usesOwnNamespace() bool {
	own := func(h HostPattern) bool { return h.Namespace == OwnNamespace }
	return slices.ContainsFunc(s.Hosts, own) || slices.ContainsFunc(s.EgressPorts, func(l EgressListener) bool {
		return slices.ContainsFunc(l.Hosts, own)
	})
}

// bindHosts resolves "." to namespace in a copy of hosts.
func bindHosts(hosts []HostPattern, namespace string) []HostPattern {
	out := slices.Clone(hosts)
	for i := range out {
		if out[i].Namespace == OwnNamespace {
			out[i].Namespace = namespace
		}
	}
	return out
}

// bindPorts resolves "." in each port listener's hosts.
func bindPorts(ls []EgressListener, namespace string) []EgressListener {
	out := slices.Clone(ls)
	for i := range out {
		out[i].Hosts = bindHosts(out[i].Hosts, namespace)
	}
	return out
}
