package simulate

import (
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
)

func portRange(start, end int32) *listenerv3.ListenerFilterChainMatchPredicate {
	return &listenerv3.ListenerFilterChainMatchPredicate{Rule: &listenerv3.ListenerFilterChainMatchPredicate_DestinationPortRange{
		DestinationPortRange: &typev3.Int32Range{Start: start, End: end}}}
}

// Envoy's ListenerFilterChainMatchPredicate: a port range is [start, end),
// or/and/not combine, any_match is constant; a predicate without a rule
// cannot be simulated.
func TestFilterDisabled(t *testing.T) {
	or := &listenerv3.ListenerFilterChainMatchPredicate{Rule: &listenerv3.ListenerFilterChainMatchPredicate_OrMatch{
		OrMatch: &listenerv3.ListenerFilterChainMatchPredicate_MatchSet{Rules: []*listenerv3.ListenerFilterChainMatchPredicate{
			portRange(80, 81), portRange(9080, 9081)}}}}
	not := &listenerv3.ListenerFilterChainMatchPredicate{Rule: &listenerv3.ListenerFilterChainMatchPredicate_NotMatch{NotMatch: or}}
	and := &listenerv3.ListenerFilterChainMatchPredicate{Rule: &listenerv3.ListenerFilterChainMatchPredicate_AndMatch{
		AndMatch: &listenerv3.ListenerFilterChainMatchPredicate_MatchSet{Rules: []*listenerv3.ListenerFilterChainMatchPredicate{
			portRange(9000, 9100), portRange(9080, 9081)}}}}
	for _, tt := range []struct {
		name string
		p    *listenerv3.ListenerFilterChainMatchPredicate
		port uint32
		want bool
	}{
		{"unset", nil, 80, false},
		{"range start", portRange(80, 81), 80, true},
		{"range end excluded", portRange(80, 81), 81, false},
		{"or", or, 9080, true},
		{"or none", or, 8080, false},
		{"not", not, 8080, true},
		{"and", and, 9080, true},
		{"and one false", and, 9090, false},
	} {
		got, err := filterDisabled(tt.p, &Request{DestPort: tt.port})
		if err != nil || got != tt.want {
			t.Errorf("%s port %d: %v (err %v), want %v", tt.name, tt.port, got, err, tt.want)
		}
	}
	if _, err := filterDisabled(&listenerv3.ListenerFilterChainMatchPredicate{}, &Request{}); err == nil {
		t.Error("a predicate without a rule must not be guessed")
	}
}
