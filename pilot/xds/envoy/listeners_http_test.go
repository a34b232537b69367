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
	r := f.GetFilterDisabled().GetDestinationPortRange()
	if f.GetName() != "envoy.filters.listener.http_inspector" || r.GetStart() != 8080 || r.GetEnd() != 8081 {
		t.Errorf("last listener filter %v", f)
	}
	several := inboundHTTPInspector(map[uint32]bool{80: true, 443: true})
	if rules := several.GetFilterDisabled().GetOrMatch().GetRules(); len(rules) != 2 || rules[0].GetDestinationPortRange().GetStart() != 80 {
		t.Errorf("two declared ports: %v", several.GetFilterDisabled())
	}
	if none := inboundHTTPInspector(nil); none.GetFilterDisabled() != (*listenerv3.ListenerFilterChainMatchPredicate)(nil) {
		t.Errorf("no declared port: %v", none.GetFilterDisabled())
	}
}
