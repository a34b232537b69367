package mesh

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Istio's locality failover: "priority 0 is the same locality, 1 the same
// zone…": each case gives the endpoints as "address@locality" and expects
// "locality:priority:weight" per LocalityLbEndpoints, from a proxy in
// us-east/zone-a.
func TestLocalityGroups(t *testing.T) {
	od := &OutlierDetection{}
	eps := []string{"a1@us-east/zone-a", "a2@us-east/zone-a", "b1@us-east/zone-b", "w1@us-west/zone-a", "e1@eu-west/zone-a"}
	for _, tc := range []struct {
		name string
		lb   *LocalityLB
		od   *OutlierDetection
		want []string
	}{
		{"no outlier detection: one priority", nil, nil,
			[]string{"eu-west/zone-a:0:1", "us-east/zone-a:0:2", "us-east/zone-b:0:1", "us-west/zone-a:0:1"}},
		{"default failover by proximity", nil, od,
			[]string{"us-east/zone-a:0:2", "us-east/zone-b:1:1", "eu-west/zone-a:2:1", "us-west/zone-a:2:1"}},
		{"disabled", &LocalityLB{Disabled: true}, od,
			[]string{"eu-west/zone-a:0:1", "us-east/zone-a:0:2", "us-east/zone-b:0:1", "us-west/zone-a:0:1"}},
		{"failover region first", &LocalityLB{Failover: []LocalityFailover{{From: "us-east", To: "eu-west"}}}, od,
			[]string{"us-east/zone-a:0:2", "us-east/zone-b:1:1", "eu-west/zone-a:2:1", "us-west/zone-a:3:1"}},
		{"failoverPriority labels", &LocalityLB{FailoverPriority: []string{LabelRegion, LabelZone}}, od,
			[]string{"us-east/zone-a:0:2", "us-east/zone-b:1:1", "eu-west/zone-a:2:1", "us-west/zone-a:2:1"}},
		{"failoverPriority with an override value", &LocalityLB{FailoverPriority: []string{LabelRegion + "=us-west"}}, od,
			[]string{"us-west/zone-a:0:1", "eu-west/zone-a:1:1", "us-east/zone-a:1:2", "us-east/zone-b:1:1"}},
		{"distribute applies without outlier detection", &LocalityLB{Distribute: []LocalityDistribute{{From: "us-east/zone-a/*",
			To: []LocalityWeight{{Locality: "us-east/zone-a/*", Weight: 80}, {Locality: "us-east/zone-b/*", Weight: 20}}}}}, nil,
			[]string{"us-east/zone-a:0:80", "us-east/zone-b:0:20"}},
		{"distribute splits a wildcard by weight", &LocalityLB{Distribute: []LocalityDistribute{{From: "us-east/*",
			To: []LocalityWeight{{Locality: "us-east/*", Weight: 90}, {Locality: "*", Weight: 10}}}}}, nil,
			[]string{"eu-west/zone-a:0:5", "us-east/zone-a:0:60", "us-east/zone-b:0:30", "us-west/zone-a:0:5"}},
		{"distribute from another locality leaves weights", &LocalityLB{Distribute: []LocalityDistribute{{From: "eu-west/*",
			To: []LocalityWeight{{Locality: "eu-west/*", Weight: 100}}}}}, nil,
			[]string{"eu-west/zone-a:0:1", "us-east/zone-a:0:2", "us-east/zone-b:0:1", "us-west/zone-a:0:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := localityCluster(eps, tc.lb, tc.od)
			var got []string
			for _, g := range c.LocalityGroups(nil, LocalityView{Locality: "us-east/zone-a"}) {
				got = append(got, fmt.Sprintf("%s:%d:%d", g.Locality, g.Priority, g.Weight))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v\nwant %v", got, tc.want)
			}
		})
	}
}

// A mesh-wide enabled: false turns the default failover off; a rule's
// own setting still wins over it.
func TestLocalityMeshDefault(t *testing.T) {
	c := localityCluster([]string{"a@us-east/zone-a", "b@us-east/zone-b"}, nil, &OutlierDetection{})
	v := LocalityView{Locality: "us-east/zone-a"}
	if g := c.LocalityGroups(&LocalityLB{Disabled: true}, v); g[1].Priority != 0 {
		t.Fatalf("mesh disabled, got priorities %v", g)
	}
	c.Policy.LocalityLB = &LocalityLB{}
	if g := c.LocalityGroups(&LocalityLB{Disabled: true}, v); g[1].Priority != 1 {
		t.Fatalf("rule enabled over a disabled mesh, got %v", g)
	}
}

func TestLocalityLabels(t *testing.T) {
	for _, tc := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{LabelLocalityLegacy: "us-east.zone-a.rack1"}, "us-east/zone-a/rack1"},
		{map[string]string{LabelLocalityLegacy: "us-east.zone-a", LabelLocality: "eu.z"}, "eu/z"},
		{map[string]string{"app": "x"}, ""},
	} {
		if got := LocalityFromLabels(tc.labels); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.labels, got, tc.want)
		}
	}
	if got := LocalityFromNode(map[string]string{LabelRegion: "us-east", LabelZone: "zone-a"}); got != "us-east/zone-a" {
		t.Errorf("node locality %q", got)
	}
}

func localityCluster(eps []string, lb *LocalityLB, od *OutlierDetection) *Cluster {
	port := Port{Number: 80, Protocol: ProtocolHTTP}
	svc := &Service{Hostname: "s", Ports: []Port{port}, Endpoints: map[uint32][]Endpoint{}}
	for _, e := range eps {
		addr, loc, _ := strings.Cut(e, "@")
		svc.Endpoints[80] = append(svc.Endpoints[80], Endpoint{Address: addr, Port: 80, Locality: loc, Healthy: true})
	}
	return &Cluster{Service: svc, Port: port, Policy: TrafficPolicy{LocalityLB: lb, OutlierDetection: od}}
}

// failoverPriority may name kubernetes.io/hostname: Istio adds the node
// name to endpoint and proxy labels, so endpoints on the proxy's own node
// come first.
func TestFailoverPriorityHostname(t *testing.T) {
	c := localityCluster([]string{"a@us-east/zone-a", "b@us-east/zone-a"}, &LocalityLB{FailoverPriority: []string{LabelHostname}}, &OutlierDetection{})
	c.Service.Endpoints[80][1].NodeName = "node-1"
	c.Service.Endpoints[80][0].NodeName = "node-2"
	g := c.LocalityGroups(nil, LocalityView{Locality: "us-east/zone-a", NodeName: "node-1"})
	if len(g) != 2 || g[0].Endpoints[0].Address != "b" || g[0].Priority != 0 || g[1].Priority != 1 {
		t.Fatalf("groups %+v, want b (same node) at priority 0", g)
	}
	m := &Mesh{Clusters: []*Cluster{c}}
	m.Index()
	if m.LocalityViewKey(LocalityView{NodeName: "node-1"}) == m.LocalityViewKey(LocalityView{NodeName: "node-2"}) {
		t.Fatal("the view key ignores the node failoverPriority reads")
	}
}
