package build

import (
	"testing"

	"github.com/weftmesh/weft/pilot/mesh"
)

// A route's hash policy comes from the destinations that receive traffic:
// a standby at weight 0 must not decide how the serving one is hashed.
func TestHashPolicyIgnoresZeroWeightDestinations(t *testing.T) {
	svc := &mesh.Service{Hostname: "svc.ns.svc.cluster.local", Ports: []mesh.Port{{Number: 9080, Protocol: mesh.ProtocolGRPC}}}
	blue, green := weightsKey("blue", 9080), weightsKey("green", 9080)
	hashBy := func(k mesh.ClusterKey, header string) *mesh.Cluster {
		return &mesh.Cluster{Key: k, Service: svc, Port: svc.Ports[0],
			Policy: mesh.TrafficPolicy{LoadBalancer: &mesh.LoadBalancer{Hash: &mesh.HashKey{Header: header}}}}
	}
	m := &mesh.Mesh{Services: []*mesh.Service{svc}, Clusters: []*mesh.Cluster{hashBy(blue, "x-user"), hashBy(green, "x-session")}}
	m.Index()
	tests := []struct {
		name  string
		dests []mesh.Destination
		want  string
	}{
		{"serving destination listed first", []mesh.Destination{{Cluster: blue, Weight: 100}, {Cluster: green}}, "x-user"},
		{"standby listed first", []mesh.Destination{{Cluster: green}, {Cluster: blue, Weight: 100}}, "x-user"},
		{"after the switch", []mesh.Destination{{Cluster: blue}, {Cluster: green, Weight: 100}}, "x-session"},
	}
	for _, tt := range tests {
		for _, proxyless := range []bool{false, true} {
			var deg Degradations
			a := RouteAction(&mesh.HTTPRoute{Destinations: tt.dests}, m, Options{Proxyless: proxyless, ListenerPort: 9080}, &deg)
			if len(a.HashPolicy) != 1 || a.HashPolicy[0].GetHeader().GetHeaderName() != tt.want {
				t.Errorf("%s (proxyless %v): hash policy %v, want header %s", tt.name, proxyless, a.HashPolicy, tt.want)
			}
		}
	}
}
