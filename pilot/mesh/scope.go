package mesh

import (
	"strings"
	"sync"
)

// Scope is the egress visibility a Sidecar resource gives the workloads it
// selects: the services they receive configuration for.
type Scope struct {
	Ref      Ref
	Selector map[string]string // nil: the whole namespace
	Hosts    []HostPattern
	// RegistryOnly is outboundTrafficPolicy REGISTRY_ONLY: destinations
	// outside the scope are refused instead of passed through.
	RegistryOnly bool
	// Ingress and InboundPoolDefault are the Sidecar's ingress listeners
	// and inboundConnectionPool (scope_ingress.go).
	Ingress            []IngressListener
	InboundPoolDefault *ConnectionPool
	// EgressPorts are the egress listeners with a port (scope_ports.go);
	// Hosts are the catch-all listener's.
	EgressPorts []EgressListener
	// EgressProxy is outboundTrafficPolicy.egressProxy: the cluster that
	// takes unknown destinations under ALLOW_ANY instead of passthrough.
	EgressProxy *ClusterKey
	// boundTo is the proxy namespace a root-namespace Sidecar's "." hosts
	// were bound to; empty for the Sidecar as written (and in the IR).
	boundTo string
}

// HostPattern is one "namespace/dnsName" egress host of a Sidecar.
type HostPattern struct {
	// Namespace is "*" any, "~" none, else a namespace. "." stays only in a
	// root-namespace Sidecar, where it means each proxy's own namespace.
	Namespace string
	Host      string // "*", "*.suffix" or an exact host
}

// OwnNamespace is the HostPattern namespace of the proxy's own namespace.
const OwnNamespace = "."

// Key identifies the scope in shared-config keys.
func (s *Scope) Key() string {
	switch {
	case s == nil:
		return ""
	case s.boundTo != "":
		return s.Ref.String() + "@" + s.boundTo
	}
	return s.Ref.String()
}

// BlocksUnknown reports whether destinations outside the registry are
// refused (REGISTRY_ONLY); without a Sidecar they pass through (ALLOW_ANY).
func (s *Scope) BlocksUnknown() bool { return s != nil && s.RegistryOnly }

// Sees reports whether svc is visible under the scope; nil sees everything.
func (s *Scope) Sees(svc *Service) bool {
	if s == nil {
		return true
	}
	for _, h := range s.Hosts {
		if h.matches(svc) {
			return true
		}
	}
	return s.seesOnAPort(svc)
}

func (h HostPattern) matches(svc *Service) bool {
	if h.Namespace == "~" || (h.Namespace != "*" && h.Namespace != svc.Namespace) {
		return false
	}
	switch {
	case h.Host == "*":
		return true
	case strings.HasPrefix(h.Host, "*."):
		return strings.HasSuffix(svc.Hostname, h.Host[1:])
	default:
		return h.Host == svc.Hostname
	}
}

// Scopes holds the Sidecar resources by namespace; RootNamespace's
// selector-less Sidecar is the default for namespaces without their own.
type Scopes struct {
	RootNamespace string
	ByNamespace   map[string][]*Scope // selector scopes first, oldest first

	mu     sync.Mutex
	scoped map[*Scope]*Mesh
	bound  map[boundKey]*Scope
}

// ScopeFor returns the Sidecar scope of a workload, or nil when none applies.
func (m *Mesh) ScopeFor(namespace string, labels map[string]string) *Scope {
	if m.Scopes == nil {
		return nil
	}
	s := m.Scopes.find(namespace, labels)
	if s == nil {
		s = m.Scopes.find(m.Scopes.RootNamespace, nil)
	}
	return m.Scopes.bind(s, namespace)
}

// bind resolves "." in s to namespace, as istiod builds a root-namespace
// Sidecar's scope once per namespace it serves. Bound scopes are cached so
// each namespace keeps one *Scope, which Scoped's cache is keyed by.
func (sc *Scopes) bind(s *Scope, namespace string) *Scope {
	if s == nil || !s.usesOwnNamespace() {
		return s
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	k := boundKey{s, namespace}
	if b, ok := sc.bound[k]; ok {
		return b
	}
	b := s.rebound(namespace)
	b.Hosts, b.EgressPorts = bindHosts(s.Hosts, namespace), bindPorts(s.EgressPorts, namespace)
	if len(sc.bound) >= maxCachedViews {
		return b // namespaces are client claims: past the bound, not kept
	}
	if sc.bound == nil {
		sc.bound = map[boundKey]*Scope{}
	}
	sc.bound[k] = b
	return b
}

// maxCachedViews bounds the bound scopes and scoped meshes kept per mesh
// version: both grow with the namespaces proxies claim.
const maxCachedViews = 4096

type boundKey struct {
	s         *Scope
	namespace string
}

func (sc *Scopes) find(namespace string, labels map[string]string) *Scope {
	if sc == nil {
		return nil
	}
	for _, s := range sc.ByNamespace[namespace] {
		if s.Selector == nil || (labels != nil && LabelsMatch(s.Selector, labels)) {
			return s
		}
	}
	return nil
}

// Scoped returns the mesh as workloads under s see it: only visible
// services, their ports' routing and clusters. The proxy's own instances,
// workloads and policy stay those of the whole mesh. It is built once per
// scope and mesh version.
func (m *Mesh) Scoped(s *Scope) *Mesh {
	if s == nil || m.Scopes == nil {
		return m
	}
	m.Scopes.mu.Lock()
	defer m.Scopes.mu.Unlock()
	if v, ok := m.Scopes.scoped[s]; ok {
		return v
	}
	v := m.filtered(s)
	if len(m.Scopes.scoped) >= maxCachedViews {
		return v
	}
	if m.Scopes.scoped == nil {
		m.Scopes.scoped = map[*Scope]*Mesh{}
	}
	m.Scopes.scoped[s] = v
	return v
}

func (m *Mesh) filtered(s *Scope) *Mesh {
	v := &Mesh{Version: m.Version, Diagnostics: m.Diagnostics, Workloads: m.Workloads, PeerAuthn: m.PeerAuthn,
		TrustDomain: m.TrustDomain, Scopes: m.Scopes, LocalityLB: m.LocalityLB}
	imports := m.imports(s)
	for _, svc := range m.Services {
		if a := imports[svc.Hostname]; a != nil {
			v.Services = append(v.Services, a.Service)
		} else if s.Sees(svc) {
			v.Services = append(v.Services, svc)
		}
	}
	v.VirtualHosts = scopedVirtualHosts(s, m.VirtualHosts, imports)
	v.Clusters = scopedClusters(s, m.Clusters, imports)
	v.Index()
	v.byIP = m.byIP // a proxy serves its ports whatever it may call
	return v
}
