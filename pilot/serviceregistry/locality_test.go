package serviceregistry

import (
	"testing"
)

// EndpointSlice endpoints take their pod's locality: its istio-locality
// label, else its Node's topology labels; with no pod known, the Node the
// slice names.
func TestSliceEndpointLocality(t *testing.T) {
	s := snapshot(t,
		`apiVersion: v1
kind: Node
metadata: {name: n1, labels: {topology.kubernetes.io/region: us-east, topology.kubernetes.io/zone: zone-a, topology.istio.io/subzone: r1}}`,
		`apiVersion: v1
kind: Node
metadata: {name: n2, labels: {topology.kubernetes.io/region: us-west}}`,
		nodePod("a", "10.1.0.1", "app: web"),
		nodePod("b", "10.1.0.2", "app: web, istio-locality: eu.z9"),
		`apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {clusterIP: 10.96.0.9, selector: {app: web}, ports: [{name: http, port: 80}]}`,
		`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- {addresses: [10.1.0.1], targetRef: {kind: Pod, name: a}}
- {addresses: [10.1.0.2], targetRef: {kind: Pod, name: b}}
- {addresses: [10.1.0.3], nodeName: n2}`)
	got := map[string]string{}
	for _, ep := range find(t, Build(s), "web.shop.svc.cluster.local").Endpoints[80] {
		got[ep.Address] = ep.Locality
	}
	want := map[string]string{"10.1.0.1": "us-east/zone-a/r1", "10.1.0.2": "eu/z9", "10.1.0.3": "us-west"}
	for ip, loc := range want {
		if got[ip] != loc {
			t.Errorf("%s: locality %q, want %q", ip, got[ip], loc)
		}
	}
}

func nodePod(name, ip, labels string) string {
	return `apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: shop, labels: {` + labels + `}}
spec: {nodeName: n1, containers: [{name: app, image: x}]}
status: {podIP: ` + ip + `}`
}
