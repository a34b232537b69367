package grpcgen

import (
	"testing"

	"github.com/weftmesh/weft/pilot/mesh"
	"github.com/weftmesh/weft/pilot/xds"
)

func TestResolveTargets(t *testing.T) {
	svc := &mesh.Service{Hostname: "reviews.shop.svc.cluster.local", Name: "reviews", Namespace: "shop",
		Ports: []mesh.Port{{Number: 9080, Protocol: mesh.ProtocolGRPC}}}
	ext := &mesh.Service{Hostname: "api.example.com", Ports: []mesh.Port{{Number: 443}, {Number: 80}}}
	m := &mesh.Mesh{Services: []*mesh.Service{svc, ext}, VirtualHosts: []*mesh.VirtualHost{
		{Service: svc, Port: svc.Ports[0]}, {Service: ext, Port: ext.Ports[0]}, {Service: ext, Port: ext.Ports[1]}}}
	m.Index()
	inShop := &xds.Proxy{Namespace: "shop", DNSDomain: "shop.svc.cluster.local"}
	tests := []struct {
		target string
		proxy  *xds.Proxy
		host   string
		port   uint32
	}{
		{"reviews.shop.svc.cluster.local:9080", inShop, svc.Hostname, 9080},
		{"reviews:9080", inShop, svc.Hostname, 9080},
		{"reviews", inShop, svc.Hostname, 9080}, // single port implied
		{"reviews.shop:9080", inShop, svc.Hostname, 9080},
		{"reviews.shop.svc:9080", inShop, svc.Hostname, 9080},
		{"reviews:9080", &xds.Proxy{Namespace: "other", DNSDomain: "other.svc.cluster.local"}, "", 0},
		{"api.example.com:80", inShop, ext.Hostname, 80},
		{"api.example.com", inShop, "", 0}, // two ports: ambiguous
		{"reviews:1234", inShop, "", 0},
	}
	for _, tt := range tests {
		vh := resolve(m, tt.proxy, tt.target)
		switch {
		case tt.host == "" && vh != nil:
			t.Errorf("%s from %s: resolved to %s:%d, want nothing", tt.target, tt.proxy.Namespace, vh.Service.Hostname, vh.Port.Number)
		case tt.host != "" && (vh == nil || vh.Service.Hostname != tt.host || vh.Port.Number != tt.port):
			t.Errorf("%s from %s: got %+v, want %s:%d", tt.target, tt.proxy.Namespace, vh, tt.host, tt.port)
		}
	}
}

func TestServerAddress(t *testing.T) {
	for name, ok := range map[string]bool{
		"xds.istio.io/grpc/lds/inbound/10.0.0.1:8080": true,
		"xds.istio.io/grpc/lds/inbound/[::1]:8080":    true,
		"xds.istio.io/grpc/lds/inbound/nohost":        false,
		"reviews:9080":                                false,
	} {
		if _, got := ServerAddress(name); got != ok {
			t.Errorf("ServerAddress(%q) ok=%v, want %v", name, got, ok)
		}
	}
}
