package envoy

import (
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// virtualInbound sniffs HTTP only where the catch-all chains need it: the
// inspector is disabled on declared ports, one range per port as istiod
// writes it.
func TestInboundHTTPInspectorSkipsDeclaredPorts(t *testing.T) {
	m := featureIR(t, "inbound-catchall")
	l := virtualInbound(m, sidecar("perm", "10.244.35.1", map[string]string{"app": "api"}))
	f := l.ListenerFilters[len(l.ListenerFilters)-1]
	rules := f.GetFilterDisabled().GetOrMatch().GetRules()
	if f.GetName() != "envoy.filters.listener.http_inspector" || len(rules) != 3 ||
		rules[0].GetDestinationPortRange().GetStart() != 5432 || rules[1].GetDestinationPortRange().GetStart() != 8080 ||
		rules[1].GetDestinationPortRange().GetEnd() != 8081 || rules[2].GetDestinationPortRange().GetStart() != InboundCapturePort {
		t.Errorf("last listener filter %v, want it off on 5432, 8080 and 15006", f)
	}
	several := inboundHTTPInspector(map[uint32]bool{80: true, 443: true})
	one := inboundHTTPInspector(map[uint32]bool{80: true})
	if r := one.GetFilterDisabled().GetDestinationPortRange(); r.GetStart() != 80 || r.GetEnd() != 81 {
		t.Errorf("one declared port: %v", one.GetFilterDisabled())
	}
	if rules := several.GetFilterDisabled().GetOrMatch().GetRules(); len(rules) != 2 || rules[0].GetDestinationPortRange().GetStart() != 80 {
		t.Errorf("two declared ports: %v", several.GetFilterDisabled())
	}
	if none := inboundHTTPInspector(nil); none.GetFilterDisabled() != (*listenerv3.ListenerFilterChainMatchPredicate)(nil) {
		t.Errorf("no declared port: %v", none.GetFilterDisabled())
	}
}
