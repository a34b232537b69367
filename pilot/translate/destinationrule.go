package translate

import (
	"sort"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/mesh"
)

// mergedRule is the DestinationRule policy in force for one host.
type mergedRule struct {
	policy  *networking.TrafficPolicy
	subsets []*networking.Subset
}

// destinationRules indexes the DestinationRules as istiod looks them up
// (drselect.go), and merges rules for one host: subsets concatenate (first
// defined wins) and the oldest rule setting a top-level policy gives it.
func (t *translator) destinationRules() *drIndex {
	drs := append([]*networkingv1.DestinationRule(nil), t.snap.DestinationRules...)
	sort.SliceStable(drs, func(i, j int) bool { return selectorFirst(drs[i], drs[j]) })
	idx := newDRIndex()
	for _, dr := range drs {
		t.noteDR(dr)
		idx.add(dr, t.opts.DefaultDestinationRuleExportTo)
	}
	t.warnUnsupportedDR(drs)
	return idx
}

// selectorFirst orders rules with a workloadSelector first, then by age.
func selectorFirst(a, b *networkingv1.DestinationRule) bool {
	if sa, sb := a.Spec.GetWorkloadSelector() != nil, b.Spec.GetWorkloadSelector() != nil; sa != sb {
		return sa
	}
	return older(a, b)
}

// mergeRules merges the catch-all rules one lookup found, oldest first.
func mergeRules(drs []*boundDR) *mergedRule {
	var out *mergedRule
	for _, b := range drs {
		out = mergeRule(out, b.dr)
	}
	return out
}

func mergeRule(into *mergedRule, dr *networkingv1.DestinationRule) *mergedRule {
	if into == nil {
		into = &mergedRule{}
	}
	if into.policy == nil {
		into.policy = dr.Spec.GetTrafficPolicy()
	}
	for _, s := range dr.Spec.GetSubsets() {
		if !hasSubset(into.subsets, s.GetName()) {
			into.subsets = append(into.subsets, s)
		}
	}
	return into
}

func hasSubset(list []*networking.Subset, name string) bool {
	for _, s := range list {
		if s.GetName() == name {
			return true
		}
	}
	return false
}

// clustersFor returns the default cluster of a service port and one per subset.
func clustersFor(svc *mesh.Service, port mesh.Port, dr *mergedRule) []*mesh.Cluster {
	key := mesh.ClusterKey{Direction: mesh.Outbound, Port: port.Number, Host: svc.Hostname}
	if dr == nil {
		return []*mesh.Cluster{{Key: key, Service: svc, Port: port}}
	}
	base, _ := policyFor(dr.policy, port.Number)
	base.TCPProxy = tcpProxyLimits(dr.policy)
	out := []*mesh.Cluster{{Key: key, Service: svc, Port: port, Policy: base}}
	for _, s := range dr.subsets {
		k := key
		k.Subset = s.GetName()
		p := subsetPolicy(base, s.GetTrafficPolicy(), port.Number)
		p.TCPProxy = base.TCPProxy
		out = append(out, &mesh.Cluster{Key: k, Service: svc, Port: port, SubsetLabels: s.GetLabels(), Policy: p})
	}
	return out
}

// subsetPolicy merges a subset's policy over the rule's for one port, as
// istiod: each section the subset sets replaces the rule's, and a subset
// portLevelSettings entry for the port replaces every section, set or not.
func subsetPolicy(base mesh.TrafficPolicy, tp *networking.TrafficPolicy, port uint32) mesh.TrafficPolicy {
	if tp == nil {
		return base
	}
	sub, hasPortLevel := policyFor(tp, port)
	if hasPortLevel {
		return sub
	}
	return overlay(base, sub)
}

// overlay lets each section a subset sets replace the rule-level one.
func overlay(base, over mesh.TrafficPolicy) mesh.TrafficPolicy {
	if over.LoadBalancer != nil || over.LocalityLB != nil {
		// loadBalancer is one section, its localityLbSetting included.
		base.LoadBalancer, base.LocalityLB = over.LoadBalancer, over.LocalityLB
	}
	if over.ConnectionPool != nil {
		base.ConnectionPool = over.ConnectionPool
	}
	if over.OutlierDetection != nil {
		base.OutlierDetection = over.OutlierDetection
	}
	if over.TLS != nil {
		base.TLS = over.TLS
	}
	return base
}

func (t *translator) warnUnsupportedDR(drs []*networkingv1.DestinationRule) {
	for _, dr := range drs {
		name := mesh.Ref{Kind: "DestinationRule", Namespace: dr.Namespace, Name: dr.Name}
		sel := dr.Spec.GetWorkloadSelector() != nil
		warnPolicy(t, name, "spec.trafficPolicy", dr.Spec.GetTrafficPolicy(), sel)
		for i, s := range dr.Spec.GetSubsets() {
			warnPolicy(t, name, fieldIndex("spec.subsets", i)+".trafficPolicy", s.GetTrafficPolicy(), sel)
		}
	}
}

func warnPolicy(t *translator, name mesh.Ref, path string, p *networking.TrafficPolicy, selected bool) {
	if p == nil {
		return
	}
	warnTLS(t, name, path+".tls", p.GetTls(), selected)
	for i, pl := range p.GetPortLevelSettings() {
		warnTLS(t, name, fieldIndex(path+".portLevelSettings", i)+".tls", pl.GetTls(), selected)
	}
	if p.GetTunnel() != nil {
		t.unsupported(name, path+".tunnel", "not supported yet: ignored")
	}
	if p.GetProxyProtocol() != nil {
		t.unsupported(name, path+".proxyProtocol", "not supported yet: ignored")
	}
}
