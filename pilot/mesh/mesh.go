package mesh

import "sort"

// VirtualHost is the routing for one service port: the HTTP, TCP or TLS
// rules that apply to traffic addressed to Service on Port.
type VirtualHost struct {
	Service    *Service
	Port       Port
	HTTPRoutes []*HTTPRoute
	TCPRoutes  []*TCPRoute
	// TLSRoutes apply on TLS and HTTPS ports, where tcp rules do not.
	TLSRoutes []*TLSRoute
}

// Ref names a config resource.
type Ref struct {
	Kind, Namespace, Name string
}

func (r Ref) String() string { return r.Kind + " " + r.Namespace + "/" + r.Name }

// Reasons a translation diagnostic gives, as status condition reasons.
const (
	ReasonUnsupportedField = "UnsupportedField"
	ReasonUnknownHost      = "UnknownHost"
	ReasonConflict         = "Conflict"
	// ReasonReferenceNotFound: a resource the config names (a delegate
	// VirtualService) is missing or not exported to it.
	ReasonReferenceNotFound = "ReferenceNotFound"
	// ReasonDelegateConflict: a delegate VirtualService's rule matches
	// outside its root rule's match, so it is left out.
	ReasonDelegateConflict = "DelegateConflict"
	// ReasonInvalidEnvoyConfig: the resource would produce configuration
	// Envoy refuses, so it is left out entirely (see package xds/guard).
	ReasonInvalidEnvoyConfig = "InvalidEnvoyConfig"
)

// Diagnostic is a problem found while translating, attributed to a resource.
// Diagnostics are warnings: the resource is used, minus what they name.
type Diagnostic struct {
	Ref     Ref
	Field   string
	Reason  string
	Message string
}

// Rejected reports whether the diagnostic leaves its whole resource out
// (Accepted=False) rather than warning about a part of it.
func (d Diagnostic) Rejected() bool { return d.Reason == ReasonInvalidEnvoyConfig }

// Mesh is the whole translated mesh, shared read-only by all proxies.
type Mesh struct {
	// Version identifies the config this mesh was built from.
	Version  string
	Services []*Service
	// VirtualHosts holds one entry per service port, sorted by host then port.
	VirtualHosts []*VirtualHost
	Clusters     []*Cluster
	Diagnostics  []Diagnostic
	// Workloads are the pods known to the control plane.
	Workloads Workloads
	// PeerAuthn is the inbound mTLS policy; TrustDomain names SPIFFE identities.
	PeerAuthn   PeerAuthn
	TrustDomain string
	// Scopes are the Sidecar resources narrowing what workloads see.
	Scopes *Scopes
	// Views are the namespaces whose picks differ from the default
	// (visibility.go); ViewFor applies them.
	Views map[string]*View
	// SameClustersAs is the Version of an earlier mesh whose config differed
	// from this one's in VirtualServices only: routes name clusters but do
	// not shape them, so clusters and endpoints built from it are this
	// mesh's too. A version, not a pointer, so no chain of meshes is kept.
	SameClustersAs string
	// SameListenersAs is the same for listeners: the earlier config
	// differed in VirtualServices' HTTP rules only.
	SameListenersAs string
	// Alternates are a namespace without a View's (scope_imports.go).
	Alternates []*Alternate
	// LocalityLB is meshConfig.localityLbSetting; nil is Istio's default
	// (enabled, no failover rules).
	LocalityLB *LocalityLB

	byHost       map[string]*Service
	byCluster    map[ClusterKey]*Cluster
	byName       map[string]*Cluster
	hostClusters map[string][]*Cluster // clusters of each host, in key order
	byHostPort   map[hostPort]*VirtualHost
	byIP         map[string][]Instance
	restricted   []*Service // services with exportTo
	views        *viewCache
	viewKey      string
	// failoverLabels are the label names failoverPriority settings read.
	failoverLabels []string
	// dnsLocality: some DNS cluster's endpoints depend on proxy locality.
	dnsLocality bool
}

// Instance is one service port served by the workload at an IP.
type Instance struct {
	Service    *Service
	Port       Port
	TargetPort uint32
}

type hostPort struct {
	host string
	port uint32
}

// Index builds the lookup maps; call it once after filling the slices.
func (m *Mesh) Index() {
	sort.Slice(m.Services, func(i, j int) bool { return m.Services[i].Hostname < m.Services[j].Hostname })
	sort.Slice(m.Clusters, func(i, j int) bool { return m.Clusters[i].Key.Less(m.Clusters[j].Key) })
	sort.Slice(m.VirtualHosts, func(i, j int) bool {
		a, b := m.VirtualHosts[i], m.VirtualHosts[j]
		if a.Service.Hostname != b.Service.Hostname {
			return a.Service.Hostname < b.Service.Hostname
		}
		return a.Port.Number < b.Port.Number
	})
	m.byHost = make(map[string]*Service, len(m.Services))
	for _, s := range m.Services {
		m.byHost[s.Hostname] = s
	}
	m.byCluster = make(map[ClusterKey]*Cluster, len(m.Clusters))
	m.byName = make(map[string]*Cluster, len(m.Clusters))
	m.hostClusters = map[string][]*Cluster{}
	for _, c := range m.Clusters {
		m.byCluster[c.Key] = c
		m.byName[c.Key.String()] = c
		m.hostClusters[c.Key.Host] = append(m.hostClusters[c.Key.Host], c)
	}
	m.byHostPort = make(map[hostPort]*VirtualHost, len(m.VirtualHosts))
	for _, vh := range m.VirtualHosts {
		m.byHostPort[hostPort{vh.Service.Hostname, vh.Port.Number}] = vh
	}
	m.indexInstances()
	m.indexSharedInstances()
	m.indexVisibility()
	m.indexLocality()
}

// indexInstances maps each endpoint IP to the service ports it serves, so a
// proxy finds its own ports without scanning the mesh on every push.
func (m *Mesh) indexInstances() {
	m.byIP = map[string][]Instance{}
	for _, s := range m.Services {
		for _, port := range s.Ports {
			seen := map[string]bool{}
			for _, ep := range s.Endpoints[port.Number] {
				if !seen[ep.Address] {
					seen[ep.Address] = true
					m.byIP[ep.Address] = append(m.byIP[ep.Address], Instance{Service: s, Port: port, TargetPort: ep.Port})
				}
			}
		}
	}
}

// InstancesAt returns the service ports backed by an endpoint at ip, in
// service and port order.
func (m *Mesh) InstancesAt(ip string) []Instance { return m.byIP[ip] }

// Service returns the service for a fully qualified host.
func (m *Mesh) Service(host string) *Service { return m.byHost[host] }

// Cluster returns the cluster with the given key.
func (m *Mesh) Cluster(k ClusterKey) *Cluster { return m.byCluster[k] }

// ClusterNamed returns the cluster whose key renders as name.
func (m *Mesh) ClusterNamed(name string) *Cluster { return m.byName[name] }

// ClustersOf returns the clusters of a host (every port and subset).
func (m *Mesh) ClustersOf(host string) []*Cluster { return m.hostClusters[host] }

// VirtualHost returns the routing for host:port.
func (m *Mesh) VirtualHost(host string, port uint32) *VirtualHost {
	return m.byHostPort[hostPort{host, port}]
}
