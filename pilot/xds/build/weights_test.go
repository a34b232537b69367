package build

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/weftmesh/weft/pilot/mesh"
)

func weightsKey(subset string, port uint32) mesh.ClusterKey {
	return mesh.ClusterKey{Direction: mesh.Outbound, Port: port, Subset: subset, Host: "svc.ns.svc.cluster.local"}
}

// weightsSpec renders a route action's cluster choice as "name" for a
// single cluster or "name=weight" entries for weighted clusters.
func weightsSpec(a *routev3.RouteAction) []string {
	if c := a.GetCluster(); c != "" {
		return []string{c}
	}
	out := []string{}
	for _, wc := range a.GetWeightedClusters().GetClusters() {
		out = append(out, fmt.Sprintf("%s=%d", wc.GetName(), wc.GetWeight().GetValue()))
	}
	return out
}

// weightsNames adds the clusters a route action names, weighted or not.
func weightsNames(out map[string]bool, a *routev3.RouteAction) {
	if c := a.GetCluster(); c != "" {
		out[c] = true
	}
	for _, wc := range a.GetWeightedClusters().GetClusters() {
		out[wc.GetName()] = true
	}
}

// The IR weights reach Envoy and grpc-go unchanged; only destinations with
// no traffic are left out, and a lone plain destination is named directly.
func TestRouteActionWeights(t *testing.T) {
	v1, v2, v3 := weightsKey("v1", 9080), weightsKey("v2", 9080), weightsKey("v3", 0)
	withHeaders := mesh.HeaderOps{RequestSet: map[string]string{"x-canary": "1"}}
	tests := []struct {
		rule  string
		dests []mesh.Destination
		want  []string
	}{
		{"a lone destination is the route's cluster",
			[]mesh.Destination{{Cluster: v1, Weight: 100}}, []string{"outbound|9080|v1|svc.ns.svc.cluster.local"}},
		{"a lone destination with header edits keeps them on a weighted entry",
			[]mesh.Destination{{Cluster: v1, Weight: 100, Headers: withHeaders}}, []string{"outbound|9080|v1|svc.ns.svc.cluster.local=100"}},
		{"a split is copied as written",
			[]mesh.Destination{{Cluster: v1, Weight: 90}, {Cluster: v2, Weight: 10}},
			[]string{"outbound|9080|v1|svc.ns.svc.cluster.local=90", "outbound|9080|v2|svc.ns.svc.cluster.local=10"}},
		{"a split not summing to 100 is copied as written (Envoy and grpc-go divide by the sum)",
			[]mesh.Destination{{Cluster: v1, Weight: 60}, {Cluster: v2, Weight: 30}},
			[]string{"outbound|9080|v1|svc.ns.svc.cluster.local=60", "outbound|9080|v2|svc.ns.svc.cluster.local=30"}},
		{"a zero-weight destination is left out, the split stays weighted",
			[]mesh.Destination{{Cluster: v1, Weight: 0}, {Cluster: v2, Weight: 100}},
			[]string{"outbound|9080|v2|svc.ns.svc.cluster.local=100"}},
		{"a destination without a port takes the listener's",
			[]mesh.Destination{{Cluster: v3, Weight: 50}, {Cluster: v1, Weight: 50}},
			[]string{"outbound|8080|v3|svc.ns.svc.cluster.local=50", "outbound|9080|v1|svc.ns.svc.cluster.local=50"}},
	}
	for _, tt := range tests {
		for _, proxyless := range []bool{false, true} {
			opts := Options{Proxyless: proxyless, ListenerPort: 8080}
			a := RouteAction(&mesh.HTTPRoute{Destinations: tt.dests}, nil, opts, &Degradations{})
			if got := weightsSpec(a); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s (proxyless %v): got %v, want %v", tt.rule, proxyless, got, tt.want)
			}
		}
	}
}

// AddVirtualHostClusters must name exactly the clusters VirtualHostRoutes'
// routes send to: proxyless generation sends those clusters and no others.
func TestVirtualHostClustersMatchRoutes(t *testing.T) {
	svc := &mesh.Service{Hostname: "svc.ns.svc.cluster.local", Ports: []mesh.Port{{Number: 9080, Protocol: mesh.ProtocolGRPC}}}
	v1, v2 := weightsKey("v1", 9080), weightsKey("v2", 0)
	canary := &mesh.HTTPRoute{Name: "canary", Matches: []mesh.Match{{Headers: []mesh.HeaderMatch{{Name: "x", Match: mesh.StringMatch{Value: "y"}}}}, {Port: 9080}},
		Destinations: []mesh.Destination{{Cluster: v1, Weight: 0}, {Cluster: v2, Weight: 100}}}
	split := &mesh.HTTPRoute{Name: "split", Destinations: []mesh.Destination{{Cluster: v1, Weight: 75}, {Cluster: v2, Weight: 25}},
		Mirrors: []mesh.Mirror{{Cluster: weightsKey("shadow", 9080), Percent: 10}}}
	redirect := &mesh.HTTPRoute{Name: "moved", Redirect: &mesh.Redirect{Path: "/new"}}
	fixed := &mesh.HTTPRoute{Name: "down", DirectResponse: &mesh.DirectResponse{Status: 503}}
	tests := []struct {
		name  string
		vh    *mesh.VirtualHost
		rules []*mesh.HTTPRoute
		want  []string
	}{
		{"no VirtualService: the default cluster", &mesh.VirtualHost{Service: svc, Port: svc.Ports[0]}, nil,
			[]string{"outbound|9080||svc.ns.svc.cluster.local"}},
		{"covered, no rule applies to this proxy: none", &mesh.VirtualHost{Service: svc, Port: svc.Ports[0], HTTPRoutes: []*mesh.HTTPRoute{canary}}, nil, nil},
		{"serving targets only, mirrors and non-forwarding rules left out",
			&mesh.VirtualHost{Service: svc, Port: svc.Ports[0], HTTPRoutes: []*mesh.HTTPRoute{canary}},
			[]*mesh.HTTPRoute{canary, redirect, fixed, split},
			[]string{"outbound|9080|v1|svc.ns.svc.cluster.local", "outbound|9080|v2|svc.ns.svc.cluster.local"}},
	}
	for _, tt := range tests {
		opts := Options{Proxyless: true, ListenerPort: tt.vh.Port.Number}
		fromIR := map[string]bool{}
		AddVirtualHostClusters(fromIR, tt.rules, tt.vh, opts)
		if got := slices.Sorted(maps.Keys(fromIR)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
		fromRoutes := map[string]bool{}
		for _, r := range VirtualHostRoutes(tt.rules, tt.vh, nil, opts, &Degradations{}) {
			weightsNames(fromRoutes, r.GetRoute())
		}
		if !reflect.DeepEqual(fromIR, fromRoutes) {
			t.Errorf("%s: IR names %v, routes send to %v", tt.name, fromIR, fromRoutes)
		}
	}
}
