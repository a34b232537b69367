package envoy

import (
	"slices"
	"strings"
	"testing"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
	"github.com/weftmesh/weft/pilot/xds/build"
)

// Domains follow istiod's virtual host domains (checked against the
// RouteConfiguration pilot-discovery sends): the short names come from the
// hostname under the proxy's DNS domain, whatever registry defined it.
func TestDomains(t *testing.T) {
	svc := &mesh.Service{Hostname: "cart.shop.svc.cluster.local", Name: "cart", Namespace: "shop", Addresses: []string{"10.0.0.1"}}
	// A ServiceEntry (no Kubernetes name) for a host under the cluster domain, defined in web.
	entry := &mesh.Service{Hostname: "catalog.review.svc.cluster.local", Namespace: "web", Addresses: []string{"0.0.0.0"}}
	ext := &mesh.Service{Hostname: "api.example.org", Namespace: "shop"}
	vm := &mesh.Service{Hostname: "db.west.corp.example", Namespace: "shop"}
	for _, tt := range []struct {
		svc   *mesh.Service
		proxy *xds.Proxy
		want  string
	}{
		{svc, sidecar("shop", "", nil), "cart.shop.svc.cluster.local cart.shop.svc.cluster.local. cart cart.shop.svc cart.shop 10.0.0.1"},
		{svc, sidecar("web", "", nil), "cart.shop.svc.cluster.local cart.shop.svc.cluster.local. cart.shop cart.shop.svc 10.0.0.1"},
		{entry, sidecar("review", "", nil), "catalog.review.svc.cluster.local catalog.review.svc.cluster.local. catalog catalog.review.svc catalog.review"},
		{entry, sidecar("web", "", nil), "catalog.review.svc.cluster.local catalog.review.svc.cluster.local. catalog.review catalog.review.svc"},
		{ext, sidecar("shop", "", nil), "api.example.org api.example.org."},
		// Another cluster domain: the host is not a Kubernetes name there.
		{svc, &xds.Proxy{Namespace: "shop", DNSDomain: "shop.svc.corp.example"}, "cart.shop.svc.cluster.local cart.shop.svc.cluster.local. 10.0.0.1"},
		// A DNS domain outside Kubernetes: the labels before the shared suffix.
		{vm, &xds.Proxy{Namespace: "shop", DNSDomain: "east.corp.example"}, "db.west.corp.example db.west.corp.example. db.west db.west.corp"},
		{vm, &xds.Proxy{Namespace: "shop", DNSDomain: "west.corp.example"}, "db.west.corp.example db.west.corp.example. db"},
		{ext, &xds.Proxy{Namespace: "shop", DNSDomain: "west.corp.example"}, "api.example.org api.example.org."},
	} {
		if got := strings.Join(Domains(tt.svc, tt.proxy), " "); got != tt.want {
			t.Errorf("Domains(%s) from %s:\n got %s\nwant %s", tt.svc.Hostname, tt.proxy.DNSDomain, got, tt.want)
		}
	}
}

// A short form that is another service's hostname stays that service's,
// whichever virtual host comes first, as istiod's known-FQDN rule.
func TestShortFormsYieldToKnownHostnames(t *testing.T) {
	expanded := &mesh.Service{Hostname: "foo.com.svc.cluster.local"}
	real := &mesh.Service{Hostname: "foo.com"}
	vhs := []*mesh.VirtualHost{{Service: expanded, Port: mesh.Port{Number: 80, Protocol: mesh.ProtocolHTTP}},
		{Service: real, Port: mesh.Port{Number: 80, Protocol: mesh.ProtocolHTTP}}}
	rc := routeConfig(&mesh.Mesh{}, sidecar("com", "", nil), 80, vhs, &build.Degradations{})
	for _, vh := range rc.VirtualHosts {
		if vh.Name == "foo.com:80" && !slices.Contains(vh.Domains, "foo.com") {
			t.Errorf("foo.com lost its own name: %v", vh.Domains)
		}
		if vh.Name == "foo.com.svc.cluster.local:80" && slices.Contains(vh.Domains, "foo.com") {
			t.Errorf("the expansion took foo.com: %v", vh.Domains)
		}
	}
}
