package validation

import (
	"testing"

	networking "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// A DestinationRule edit that adds subset v2 but is itself invalid is
// rolled back; the VirtualService that starts routing to v2 in the same
// change is then broken too and must be rolled back with it.
func TestAcceptSnapshotRollsBackDependents(t *testing.T) {
	dr := func(subsets, lb string) string {
		return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec:\n  host: reviews\n  trafficPolicy: {loadBalancer: " + lb + "}\n  subsets: " + subsets + "\n"
	}
	vs := func(subset string) string {
		return vsYAML("  - route: [{destination: {host: reviews, subset: " + subset + "}}]\n")
	}
	prev, errs := AcceptSnapshot(nil, snapshotOf(t, "a.yaml", dr("[{name: v1}]", "{simple: RANDOM}")+"---\n"+vs("v1")))
	if len(errs) != 0 {
		t.Fatalf("initial config: %v", errs)
	}
	// A Maglev table size that is not prime decodes but does not validate.
	candidate := snapshotOf(t, "a.yaml", dr("[{name: v1}, {name: v2}]", "{consistentHash: {useSourceIp: true, maglev: {tableSize: 4}}}")+"---\n"+vs("v2")+
		"---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ratings}\nspec: {hosts: [ratings], http: [{route: [{destination: {host: ratings}}]}]}\n")
	accepted, errs := AcceptSnapshot(prev, candidate)
	if len(errs) != 2 || errs[0].Kind != "DestinationRule" || errs[1].Field != "spec.http[0].route[0].destination.subset" {
		t.Fatalf("want the DestinationRule error then the VirtualService subset error, got %v", errs)
	}
	if got := accepted.DestinationRules[0].Spec.GetTrafficPolicy().GetLoadBalancer().GetSimple(); got != networking.LoadBalancerSettings_RANDOM {
		t.Errorf("DestinationRule not rolled back: simple = %s", got)
	}
	if got := routeSubset(accepted.VirtualServices[1]); got != "v1" {
		t.Errorf("VirtualService reviews not rolled back: subset = %s", got)
	}
	if len(accepted.VirtualServices) != 2 || accepted.VirtualServices[0].Name != "ratings" {
		t.Errorf("the valid new VirtualService must be accepted, got %d", len(accepted.VirtualServices))
	}
}

func routeSubset(vs *networkingv1.VirtualService) string {
	return vs.Spec.GetHttp()[0].GetRoute()[0].GetDestination().GetSubset()
}
