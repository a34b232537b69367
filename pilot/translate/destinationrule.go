package translate

import (
	"sort"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

// mergedRule is the DestinationRule policy in force for one host.
type mergedRule struct {
	policy  *networking.TrafficPolicy
	subsets []*networking.Subset
}

// destinationRules picks, per service host, the most specific matching
// rules; several rules for one host merge their subsets (first defined
// wins) and the oldest rule's top-level policy applies, as in Istio.
func (t *translator) destinationRules() map[string]*mergedRule {
	drs := append([]*networkingv1.DestinationRule(nil), t.snap.DestinationRules...)
	sort.SliceStable(drs, func(i, j int) bool { return older(drs[i], drs[j]) })
	idx := newHostIndex[*networkingv1.DestinationRule]()
	for _, dr := range drs {
		if dr.Spec.GetWorkloadSelector() == nil {
			idx.add(config.ResolveHost(dr.Spec.GetHost(), dr.Namespace), dr)
		}
	}
	out := map[string]*mergedRule{}
	for _, svc := range t.m.Services {
		for _, dr := range idx.lookup(svc.Hostname) {
			out[svc.Hostname] = mergeRule(out[svc.Hostname], dr)
		}
	}
	t.warnUnsupportedDR(drs)
	return out
}

func mergeRule(into *mergedRule, dr *networkingv1.DestinationRule) *mergedRule {
	if into == nil {
		into = &mergedRule{policy: dr.Spec.GetTrafficPolicy()}
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
	out := []*mesh.Cluster{{Key: key, Service: svc, Port: port, Policy: base}}
	for _, s := range dr.subsets {
		k := key
		k.Subset = s.GetName()
		out = append(out, &mesh.Cluster{Key: k, Service: svc, Port: port, SubsetLabels: s.GetLabels(),
			Policy: subsetPolicy(base, s.GetTrafficPolicy(), port.Number)})
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
		if dr.Spec.GetWorkloadSelector() != nil {
			t.unsupported(name, "spec.workloadSelector", "not supported yet: the rule is ignored")
		}
		warnPolicy(t, name, "spec.trafficPolicy", dr.Spec.GetTrafficPolicy())
		for i, s := range dr.Spec.GetSubsets() {
			warnPolicy(t, name, fieldIndex("spec.subsets", i)+".trafficPolicy", s.GetTrafficPolicy())
		}
	}
}

func warnPolicy(t *translator, name mesh.Ref, path string, p *networking.TrafficPolicy) {
	if p == nil {
		return
	}
	warnTLS(t, name, path+".tls", p.GetTls())
	for i, pl := range p.GetPortLevelSettings() {
		warnTLS(t, name, fieldIndex(path+".portLevelSettings", i)+".tls", pl.GetTls())
	}
	if p.GetTunnel() != nil {
		t.unsupported(name, path+".tunnel", "not supported yet: ignored")
	}
	if p.GetProxyProtocol() != nil {
		t.unsupported(name, path+".proxyProtocol", "not supported yet: ignored")
	}
}
