package translate

import (
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/pipeline"
)

// localityLbSetting belongs to loadBalancer: a subset that sets its own
// loadBalancer replaces the rule's whole section, locality included, as
// istiod merges subset policies; a subset without one keeps the rule's.
func TestLocalityLBSection(t *testing.T) {
	snap := pipeline.Synthetic(pipeline.SyntheticOptions{Services: 1, PodsPerService: 2})
	dr := snap.DestinationRules[0]
	dr.Spec.TrafficPolicy = &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{
		LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: networking.LoadBalancerSettings_LEAST_REQUEST},
		LocalityLbSetting: &networking.LocalityLoadBalancerSetting{
			Failover:         []*networking.LocalityLoadBalancerSetting_Failover{{From: "us-east", To: "eu-west"}},
			FailoverPriority: []string{mesh.LabelHostname}}}}
	dr.Spec.Subsets[0].TrafficPolicy = simpleLB(networking.LoadBalancerSettings_RANDOM)
	dr.Spec.Subsets[1].TrafficPolicy = &networking.TrafficPolicy{LoadBalancer: &networking.LoadBalancerSettings{
		LocalityLbSetting: &networking.LocalityLoadBalancerSetting{Enabled: wrapperspb.Bool(false)}}}
	m := Translate(snap, "test")
	key := mesh.ClusterKey{Direction: mesh.Outbound, Port: 9080, Host: "svc-0.ns-0.svc.cluster.local"}
	if lb := m.Cluster(key).Policy.LocalityLB; lb == nil || len(lb.Failover) != 1 || lb.Failover[0] != (mesh.LocalityFailover{From: "us-east", To: "eu-west"}) {
		t.Errorf("rule level: locality %+v", lb)
	}
	key.Subset = dr.Spec.Subsets[0].Name
	if p := m.Cluster(key).Policy; p.LocalityLB != nil || p.LoadBalancer.Kind != mesh.LBRandom {
		t.Errorf("subset with simple: want the rule's locality setting replaced, got %+v %+v", p.LoadBalancer, p.LocalityLB)
	}
	key.Subset = dr.Spec.Subsets[1].Name
	if p := m.Cluster(key).Policy; p.LocalityLB == nil || !p.LocalityLB.Disabled || p.LoadBalancer != nil {
		t.Errorf("subset with only localityLbSetting: want it alone, got %+v %+v", p.LoadBalancer, p.LocalityLB)
	}
	if len(m.Diagnostics) != 0 {
		t.Errorf("unexpected diagnostics %+v", m.Diagnostics)
	}
}
