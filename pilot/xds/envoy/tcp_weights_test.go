package envoy

import (
	"fmt"
	"reflect"
	"testing"

	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
)

// TCP routes follow the same weight rules as HTTP ones (mesh.TrafficSplit):
// a lone destination is named directly, a split keeps its weights, and a
// destination with no traffic is left out.
func TestTCPRouteWeights(t *testing.T) {
	svc := &mesh.Service{Hostname: "db.ns.svc.cluster.local", Ports: []mesh.Port{{Number: 3306, Protocol: mesh.ProtocolTCP}}}
	key := func(subset string) mesh.ClusterKey {
		return mesh.ClusterKey{Direction: mesh.Outbound, Port: 3306, Subset: subset, Host: svc.Hostname}
	}
	tests := []struct {
		rule  string
		dests []mesh.Destination
		want  []string
	}{
		{"no route: the service's default cluster", nil, []string{"outbound|3306||db.ns.svc.cluster.local"}},
		{"a lone destination", []mesh.Destination{{Cluster: key("primary"), Weight: 100}}, []string{"outbound|3306|primary|db.ns.svc.cluster.local"}},
		{"a split", []mesh.Destination{{Cluster: key("primary"), Weight: 80}, {Cluster: key("replica"), Weight: 20}},
			[]string{"outbound|3306|primary|db.ns.svc.cluster.local=80", "outbound|3306|replica|db.ns.svc.cluster.local=20"}},
		{"a standby at weight 0 is left out", []mesh.Destination{{Cluster: key("primary"), Weight: 100}, {Cluster: key("replica")}},
			[]string{"outbound|3306|primary|db.ns.svc.cluster.local=100"}},
	}
	for _, tt := range tests {
		vh := &mesh.VirtualHost{Service: svc, Port: svc.Ports[0]}
		if tt.dests != nil {
			vh.TCPRoutes = []*mesh.TCPRoute{{Destinations: tt.dests}}
		}
		f := tcpRoute(&mesh.Mesh{}, vh, &xds.Proxy{Namespace: "ns"}, "outbound_db")
		tp := &tcpv3.TcpProxy{}
		if err := f.GetTypedConfig().UnmarshalTo(tp); err != nil {
			t.Fatalf("%s: %v", tt.rule, err)
		}
		if got := tcpWeightsSpec(tp); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.rule, got, tt.want)
		}
	}
}

func tcpWeightsSpec(tp *tcpv3.TcpProxy) []string {
	if c := tp.GetCluster(); c != "" {
		return []string{c}
	}
	var out []string
	for _, wc := range tp.GetWeightedClusters().GetClusters() {
		out = append(out, fmt.Sprintf("%s=%d", wc.GetName(), wc.GetWeight()))
	}
	return out
}
