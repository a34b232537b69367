package serviceregistry

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/weftmesh/weft/pilot/config"
	"github.com/weftmesh/weft/pilot/mesh"
)

func snapshot(t *testing.T, docs ...string) *config.Snapshot {
	t.Helper()
	objs, errs := config.Decode("test.yaml", []byte(strings.Join(docs, "\n---\n")))
	for _, e := range errs {
		t.Fatalf("decode: %v", e)
	}
	b := config.NewBuilder()
	for _, o := range objs {
		if e := b.Add(o); e != nil {
			t.Fatalf("add: %v", e)
		}
	}
	return b.Finish()
}

func pod(name, ip, labels string, extra ...string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: shop, labels: {%s}}
spec: {serviceAccountName: sa-%s, containers: [{name: app, image: x, ports: [{name: web, containerPort: 8081}]}]}
status: {podIP: %s%s}`, name, labels, name, ip, strings.Join(extra, ""))
}

// endpoints renders a port's endpoints as "ip:port[!unhealthy] sa" for comparison.
func endpoints(svc *mesh.Service, port uint32) string {
	var out []string
	for _, ep := range svc.Endpoints[port] {
		s := fmt.Sprintf("%s:%d", ep.Address, ep.Port)
		if !ep.Healthy {
			s += "!"
		}
		if ep.ServiceAccount != "" {
			s += " " + ep.ServiceAccount
		}
		if ep.Weight > 0 {
			s += fmt.Sprintf(" w%d", ep.Weight)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func find(t *testing.T, svcs []*mesh.Service, host string) *mesh.Service {
	t.Helper()
	for _, s := range svcs {
		if s.Hostname == host {
			return s
		}
	}
	t.Fatalf("no service %s among %d", host, len(svcs))
	return nil
}

const cartService = `apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  clusterIP: 10.96.0.1
  clusterIPs: [10.96.0.1, fd00::1]
  selector: {app: cart}
  ports:
  - {name: http, port: 80, targetPort: web}
  - {name: grpc, port: 9090, targetPort: 9091, appProtocol: grpc}
  - {name: dns, port: 53, protocol: UDP}`

// Without EndpointSlices (file mode), selected pods with an IP are the
// endpoints; named target ports resolve through the container's ports.
func TestKubeServiceFromPods(t *testing.T) {
	snap := snapshot(t, cartService,
		pod("a", "10.0.0.1", "app: cart"),
		pod("b", "10.0.0.2", "app: cart", `, phase: Running, conditions: [{type: Ready, status: "False"}]`),
		pod("c", "", "app: cart"),
		pod("d", "10.0.0.4", "app: other"))
	svc := find(t, Build(snap), "cart.shop.svc.cluster.local")
	if got := strings.Join(svc.Addresses, " "); got != "10.96.0.1 fd00::1" {
		t.Errorf("addresses %s", got)
	}
	if len(svc.Ports) != 2 || svc.Ports[0].Protocol != mesh.ProtocolHTTP || svc.Ports[1].Protocol != mesh.ProtocolGRPC {
		t.Errorf("ports %+v: want http and grpc, UDP dropped", svc.Ports)
	}
	if got := endpoints(svc, 80); got != "10.0.0.1:8081 sa-a, 10.0.0.2:8081! sa-b" {
		t.Errorf("port 80 endpoints: %s", got)
	}
	if got := endpoints(svc, 9090); got != "10.0.0.1:9091 sa-a, 10.0.0.2:9091! sa-b" {
		t.Errorf("port 9090 endpoints: %s", got)
	}
}

// EndpointSlice ports join service ports by name; pod labels and service
// accounts come from the slice's targetRef; not-ready is unhealthy.
func TestKubeServiceFromSlices(t *testing.T) {
	slice := `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: cart-1, namespace: shop, labels: {kubernetes.io/service-name: cart}}
addressType: IPv4
ports: [{name: http, port: 18080}, {name: other, port: 1}]
endpoints:
- addresses: [10.0.0.1]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: a, namespace: shop}
- addresses: [10.0.0.9]
  conditions: {ready: false}`
	snap := snapshot(t, cartService, slice, pod("a", "10.0.0.1", "app: cart, version: v1"))
	svc := find(t, Build(snap), "cart.shop.svc.cluster.local")
	if got := endpoints(svc, 80); got != "10.0.0.1:18080 sa-a, 10.0.0.9:18080!" {
		t.Errorf("port 80 endpoints: %s", got)
	}
	if len(svc.Endpoints[9090]) != 0 {
		t.Errorf("the slice has no grpc port, yet 9090 has endpoints %v", svc.Endpoints[9090])
	}
	if ep := svc.Endpoints[80][0]; ep.Labels["version"] != "v1" || ep.Namespace != "shop" {
		t.Errorf("endpoint lacks its pod's labels: %+v", ep)
	}
}

func TestServiceEntries(t *testing.T) {
	static := `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vms, namespace: shop}
spec:
  hosts: [vm.shop.internal, vm2.shop.internal]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8443, name: grpc-x, protocol: GRPC, targetPort: 18443}]
  workloadSelector: {labels: {app: vm}}`
	we := func(name, addr, extra string) string {
		return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: %s, namespace: shop}
spec: {address: %s, labels: {app: vm}, serviceAccount: vm%s}`, name, addr, extra)
	}
	dns := `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: shop}
spec:
  hosts: [api.example.org]
  resolution: DNS
  ports: [{number: 443, name: https}]`
	inline := `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: inline, namespace: shop}
spec:
  hosts: [db.example.org]
  resolution: NONE
  ports: [{number: 5432, name: tcp}]
  endpoints: [{address: 192.0.2.1, ports: {tcp: 15432}}]`
	svcs := Build(snapshot(t, static, we("vm-1", "10.1.0.1", ""), we("vm-2", "10.1.0.2", ", ports: {grpc-x: 28443}, weight: 5"), dns, inline))

	vm := find(t, svcs, "vm.shop.internal")
	if vm.External || vm.Resolution != mesh.ResolutionEDS || vm.Ports[0].Protocol != mesh.ProtocolGRPC {
		t.Errorf("vm service %+v", vm)
	}
	if got := endpoints(vm, 8443); got != "10.1.0.1:18443 vm, 10.1.0.2:28443 vm w5" {
		t.Errorf("vm endpoints: %s", got)
	}
	if find(t, svcs, "vm2.shop.internal").Endpoints[8443] == nil {
		t.Error("every host of a ServiceEntry is a service")
	}
	ext := find(t, svcs, "api.example.org")
	if !ext.External || ext.Resolution != mesh.ResolutionDNS || ext.Ports[0].Protocol != mesh.ProtocolHTTPS {
		t.Errorf("external DNS service %+v", ext)
	}
	if got := endpoints(ext, 443); got != "api.example.org:443" {
		t.Errorf("a DNS entry without endpoints resolves its own host: %s", got)
	}
	db := find(t, svcs, "db.example.org")
	if db.Resolution != mesh.ResolutionPassthrough || endpoints(db, 5432) != "192.0.2.1:15432" {
		t.Errorf("inline endpoint service %+v %s", db, endpoints(db, 5432))
	}
}

// A Kubernetes Service and a ServiceEntry claiming one host: the Service
// wins; output is sorted by host.
func TestBuildPrecedenceAndOrder(t *testing.T) {
	se := `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: shadow, namespace: shop}
spec:
  hosts: [cart.shop.svc.cluster.local, aaa.example]
  resolution: DNS
  ports: [{number: 1, name: tcp}]`
	svcs := Build(snapshot(t, cartService, se))
	var hosts []string
	for _, s := range svcs {
		hosts = append(hosts, s.Hostname)
	}
	if strings.Join(hosts, " ") != "aaa.example cart.shop.svc.cluster.local" {
		t.Errorf("hosts %v", hosts)
	}
	if cart := find(t, svcs, "cart.shop.svc.cluster.local"); cart.Name != "cart" || cart.Resolution != mesh.ResolutionEDS {
		t.Errorf("the ServiceEntry replaced the Kubernetes Service: %+v", cart)
	}
}

// Istio's resolution defaults to NONE (its enum's zero value): a
// ServiceEntry that leaves it out is passed through, not load-balanced
// over its endpoints.
func TestServiceEntryResolutionDefaultsToNone(t *testing.T) {
	svcs := Build(snapshot(t, `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy, namespace: shop}
spec:
  hosts: [legacy.example.com]
  ports: [{number: 80, name: http}]
  endpoints: [{address: 192.0.2.7}]`))
	if got := find(t, svcs, "legacy.example.com").Resolution; got != mesh.ResolutionPassthrough {
		t.Errorf("resolution %v, want passthrough", got)
	}
}

// A host several ServiceEntries (or a Service and ServiceEntries) define
// keeps all of them, oldest first, then by name and namespace as istiod.
func TestBuildSharedKeepsEveryServiceOfAHost(t *testing.T) {
	entry := func(name, ns, created string) string {
		return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: %s, namespace: %s, creationTimestamp: "%s"}
spec:
  hosts: [api.example.com, %s.only.example]
  ports: [{name: http, number: 80}]
  resolution: DNS`, name, ns, created, name)
	}
	snap := snapshot(t, entry("late", "a", "2026-01-02T00:00:00Z"), entry("tie-b", "b", "2026-01-01T00:00:00Z"),
		entry("tie-a", "c", "2026-01-01T00:00:00Z"))
	svcs, shared := BuildShared(snap)
	if len(svcs) != 4 {
		t.Fatalf("got %d services, want one per host (4)", len(svcs))
	}
	var order []string
	for _, s := range shared["api.example.com"] {
		order = append(order, s.Namespace)
	}
	// Same creation time: same name (the host), so by namespace.
	if got := strings.Join(order, ","); got != "b,c,a" {
		t.Errorf("order %s, want b,c,a", got)
	}
	if len(shared) != 1 {
		t.Errorf("shared hosts %d, want only api.example.com", len(shared))
	}
	if base := find(t, svcs, "api.example.com"); !containsSvc(shared["api.example.com"], base) {
		t.Errorf("Build's pick is not one of the shared services")
	}
}

func containsSvc(list []*mesh.Service, s *mesh.Service) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// istiod merges ServiceEntries of one host in one namespace with the same
// resolution (ports of both; each port's endpoints of both) and keeps the
// older alone otherwise (checked over ADS).
func TestBuildSharedMergesOneNamespacesEntries(t *testing.T) {
	entry := func(name, resolution, created, ports, addr string) string {
		return fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: %s, namespace: web, creationTimestamp: "%s"}
spec:
  hosts: [%s.example.com]
  resolution: %s
  ports: [%s]
  endpoints: [{address: %s}]`, name, created, name[:1], resolution, ports, addr)
	}
	http, alt := "{name: http, number: 80}", "{name: http-alt, number: 9090}"
	snap := snapshot(t,
		entry("m2", "STATIC", "2026-01-02T00:00:00Z", http+", "+alt, "10.0.0.2"),
		entry("m1", "STATIC", "2026-01-01T00:00:00Z", http, "10.0.0.1"),
		entry("d1", "STATIC", "2026-01-01T00:00:00Z", http, "10.0.0.3"),
		entry("d2", "DNS", "2026-01-02T00:00:00Z", alt, "10.0.0.4"))
	svcs, shared := BuildShared(snap)
	m := find(t, svcs, "m.example.com")
	if len(m.Ports) != 2 || m.Ports[0].Number != 80 || m.Ports[1].Number != 9090 {
		t.Errorf("merged ports %+v, want the older's 80 then 9090", m.Ports)
	}
	if got := endpoints(m, 80); got != "10.0.0.1:80, 10.0.0.2:80" {
		t.Errorf("merged port 80 endpoints %q", got)
	}
	if got := endpoints(m, 9090); got != "10.0.0.2:9090" {
		t.Errorf("merged port 9090 endpoints %q", got)
	}
	if shared["m.example.com"] != nil {
		t.Errorf("a merged host is not shared")
	}
	d := shared["d.example.com"]
	if len(d) != 2 || d[0].Resolution != mesh.ResolutionEDS {
		t.Fatalf("entries with different resolutions stay apart, older first: %+v", d)
	}
	if got := find(t, svcs, "d.example.com"); got != d[0] || len(got.Ports) != 1 {
		t.Errorf("Build's pick for d.example.com: %+v", got)
	}
}
