package mesh

import "testing"

// Per-port egress as istiod materialises it: an HTTP port listener gives
// its port only its hosts, a TCP one adds to the catch-all's, and
// clusters follow whichever listener imports the service on that port.
func TestScopePortVisibility(t *testing.T) {
	reviews := &Service{Hostname: "reviews.shop.svc.cluster.local", Namespace: "shop",
		Ports: []Port{{Number: 9080, Protocol: ProtocolHTTP}, {Number: 5432, Protocol: ProtocolTCP}}}
	ratings := &Service{Hostname: "ratings.shop.svc.cluster.local", Namespace: "shop",
		Ports: []Port{{Number: 9080, Protocol: ProtocolHTTP}, {Number: 5432, Protocol: ProtocolTCP}}}
	only := func(h string) []HostPattern { return []HostPattern{{Namespace: "shop", Host: h}} }
	s := &Scope{Hosts: only(ratings.Hostname), EgressPorts: []EgressListener{
		{Port: Port{Number: 9080, Protocol: ProtocolHTTP}, Hosts: only(reviews.Hostname)},
		{Port: Port{Number: 5432, Protocol: ProtocolTCP}, Hosts: only(reviews.Hostname)},
	}}
	for _, tt := range []struct {
		svc                *Service
		port               uint32
		routed, hasCluster bool
	}{
		{reviews, 9080, true, true},
		{ratings, 9080, false, true}, // the catch-all imports every port's cluster
		{reviews, 5432, true, true},
		{ratings, 5432, true, true}, // TCP: the catch-all keeps its listener
		{reviews, 7000, false, false},
	} {
		if got := s.SeesPort(tt.svc, tt.port); got != tt.routed {
			t.Errorf("%s:%d routed %v, want %v", tt.svc.Hostname, tt.port, got, tt.routed)
		}
		if got := s.SeesCluster(tt.svc, tt.port); got != tt.hasCluster {
			t.Errorf("%s:%d cluster %v, want %v", tt.svc.Hostname, tt.port, got, tt.hasCluster)
		}
	}
	if !s.Sees(reviews) {
		t.Error("a service only a port listener imports is still visible")
	}
	noCatchAll := &Scope{EgressPorts: s.EgressPorts}
	if noCatchAll.SeesPort(ratings, 5432) || noCatchAll.SeesCluster(ratings, 9080) || noCatchAll.Sees(ratings) {
		t.Error("without a catch-all listener nothing else is imported")
	}
}
