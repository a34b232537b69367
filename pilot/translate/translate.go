// Package translate is the pure stage from a config snapshot to the mesh IR:
// services from the registry, clusters per service port and subset with
// their DestinationRule policy, and the VirtualService rules per host.
package translate

import (
	"cmp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/serviceregistry"
)

// Translate builds the mesh for one snapshot. It never fails: problems
// become diagnostics and the affected rule or field is left out.
func Translate(s *config.Snapshot, version string) *mesh.Mesh {
	return TranslateWith(s, version, Options{})
}

// TranslateWith is Translate with MeshConfig settings. The mesh's own
// clusters and routes are what a namespace no config names sees; Views
// hold what other namespaces see differently (exportTo, DestinationRule
// precedence).
func TranslateWith(s *config.Snapshot, version string, opts Options) *mesh.Mesh {
	t := &translator{snap: s, m: &mesh.Mesh{Version: version}, opts: opts, named: map[string]bool{},
		delegates: map[string]*boundVS{}}
	t.m.Services, t.shared = serviceregistry.BuildShared(s)
	t.serviceExports()
	t.pickSharedBases()
	t.m.Workloads = workloads(s)
	t.m.PeerAuthn = t.peerAuthn()
	t.m.TrustDomain = cmp.Or(opts.TrustDomain, TrustDomain)
	t.m.LocalityLB = localityLB(opts.LocalityLB)
	t.m.Scopes = t.sidecarScopes()
	t.index()
	rules := t.destinationRules()
	vss := t.virtualServices()
	def := t.pick(anyNamespace, rules, vss)
	for i, svc := range t.m.Services {
		for _, port := range svc.Ports {
			t.m.Clusters = append(t.m.Clusters, clustersFor(svc, port, mergeRules(def.dr[i].catchAll))...)
			t.m.VirtualHosts = append(t.m.VirtualHosts, t.virtualHost(svc, port, def.vs[i]))
		}
	}
	t.m.Views = t.views(def, rules, vss)
	t.m.Alternates = t.alternates(anyNamespace, def, rules)
	t.reportUnsupported()
	t.m.Index()
	return t.m
}

// TrustDomain is the SPIFFE trust domain of workload identities.
const TrustDomain = "cluster.local"

type translator struct {
	snap   *config.Snapshot
	m      *mesh.Mesh
	byHost map[string]*mesh.Service
	opts   Options
	// named are the namespaces config may show differently (exportTo
	// lists, owners of private config, DestinationRule namespaces).
	named map[string]bool
	// delegates are the VirtualServices without hosts, by namespace/name.
	delegates map[string]*boundVS
	// shared are the services of hosts several namespaces define
	// (export_hosts.go).
	shared map[string][]*mesh.Service
}

func (t *translator) index() {
	t.byHost = make(map[string]*mesh.Service, len(t.m.Services))
	for _, s := range t.m.Services {
		t.byHost[s.Hostname] = s
	}
}

func (t *translator) warn(ref mesh.Ref, reason, field, msg string) {
	t.m.Diagnostics = append(t.m.Diagnostics, mesh.Diagnostic{Ref: ref, Reason: reason, Field: field, Message: msg})
}

// unsupported reports a field weft does not act on yet.
func (t *translator) unsupported(ref mesh.Ref, field, msg string) {
	t.warn(ref, mesh.ReasonUnsupportedField, field, msg)
}

// older orders config the way Istio resolves conflicts: by creation time,
// then by namespace/name so ties are deterministic.
func older(a, b metav1.Object) bool {
	ta, tb := a.GetCreationTimestamp(), b.GetCreationTimestamp()
	if !ta.Equal(&tb) {
		return ta.Before(&tb)
	}
	return a.GetNamespace()+"/"+a.GetName() < b.GetNamespace()+"/"+b.GetName()
}
