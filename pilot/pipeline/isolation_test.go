package pipeline

import (
	"slices"
	"strings"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/weftmesh/weft/pilot/golden"
	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/translate"
	"github.com/weftmesh/weft/pilot/xds/guard"
	"github.com/weftmesh/weft/pilot/xds/share"
)

// isolationYAML: reviews and ratings share port 9080, hence one route
// configuration; the ratings VirtualService sets a header value Envoy
// refuses, which validation would refuse too, so the test skips it.
const isolationYAML = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {clusterIP: 10.96.0.9, ports: [{name: http, port: 9080}], selector: {app: reviews}}
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 9080}], selector: {app: ratings}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - timeout: 7s
    route: [{destination: {host: reviews}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings.bad, namespace: default}
spec:
  hosts: [ratings]
  http:
  - route: [{destination: {host: ratings}}]
  - headers: {response: {set: {x-a: "a\r\nb"}}}
    route: [{destination: {host: ratings}}]
`

func unvalidatedMesh(t *testing.T, docs string) *mesh.Mesh {
	t.Helper()
	return translate.Translate(golden.SnapshotOf(t, "in.yaml", []byte(docs)), "1")
}

// One VirtualService producing an invalid route is left out for every
// proxy, with a rejecting diagnostic; every proxy's configuration is then
// valid and still carries the other VirtualService on the same port.
func TestInvalidVirtualServiceLeftOutOthersServed(t *testing.T) {
	m := unvalidatedMesh(t, isolationYAML)
	guard.Apply(m)
	rejected := guard.Rejected(m.Diagnostics)
	if len(rejected) != 1 || rejected[0].String() != "VirtualService default/ratings.bad" {
		t.Fatalf("rejected %v, want the ratings VirtualService", rejected)
	}
	d := m.Diagnostics[len(m.Diagnostics)-1]
	if d.Field != "spec.http[1]" || !strings.Contains(d.Message, "HeaderValue.Value") {
		t.Fatalf("diagnostic %+v does not say where and why", d)
	}
	if rules := m.VirtualHost("ratings.default.svc.cluster.local", 9080).HTTPRoutes; len(rules) != 0 {
		t.Fatalf("ratings keeps %d rules of the rejected VirtualService, want none (default route)", len(rules))
	}
	for _, p := range fuzzProxies(t, m) {
		res, _ := share.Build(p.specs)
		if err := validateAll(res); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if !hasTimeout(res[resource.RouteType], "reviews.default.svc.cluster.local") {
			t.Errorf("%s: reviews' VirtualService (timeout 7s) is missing", p.name)
		}
	}
}

// hasTimeout finds a route of host's virtual host with a 7s timeout
// (grpc-go's is the max stream duration).
func hasTimeout(routes map[string]types.Resource, host string) bool {
	for _, r := range routes {
		for _, vh := range r.(*routev3.RouteConfiguration).GetVirtualHosts() {
			if !slices.Contains(vh.GetDomains(), host) && !strings.HasPrefix(vh.GetName(), host+":") {
				continue
			}
			for _, rt := range vh.GetRoutes() {
				a := rt.GetRoute()
				if a.GetTimeout().AsDuration() == 7*time.Second || a.GetMaxStreamDuration().GetMaxStreamDuration().AsDuration() == 7*time.Second {
					return true
				}
			}
		}
	}
	return false
}

// The guard also checks rules only some namespaces see (exportTo) and
// rules merged from a delegate, and blames the root VirtualService.
func TestGuardChecksViewsAndDelegates(t *testing.T) {
	docs := isolationYAML[:strings.Index(isolationYAML, "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ratings.bad")] + `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-private, namespace: default}
spec:
  hosts: [ratings]
  exportTo: ["."]
  http:
  - delegate: {name: ratings-rules}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-rules, namespace: default}
spec:
  http:
  - headers: {response: {set: {x-a: "a\r\nb"}}}
    route: [{destination: {host: ratings}}]
`
	m := unvalidatedMesh(t, docs)
	if m.Views["default"] == nil {
		t.Fatal("the private VirtualService should make a view for default")
	}
	guard.Apply(m)
	rejected := guard.Rejected(m.Diagnostics)
	if len(rejected) != 1 || rejected[0].String() != "VirtualService default/ratings-private" {
		t.Fatalf("rejected %v, want the root VirtualService default/ratings-private", rejected)
	}
	if rules := m.ViewFor("default", nil).VirtualHost("ratings.default.svc.cluster.local", 9080).HTTPRoutes; len(rules) != 0 {
		t.Fatalf("default's view keeps %d rules of the rejected VirtualService", len(rules))
	}
}
