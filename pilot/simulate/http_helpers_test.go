package simulate

import (
	"errors"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

func packAny(t testing.TB, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func httpFilterOf(t testing.TB, name string, cfg proto.Message) *hcmv3.HttpFilter {
	return &hcmv3.HttpFilter{Name: name, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: packAny(t, cfg)}}
}

func routerFilter(t testing.TB) *hcmv3.HttpFilter {
	return httpFilterOf(t, "envoy.filters.http.router", &routerv3.Router{})
}

// hcmWith wraps an HCM as a listener filter; no filters means router only.
func hcmWith(t testing.TB, h *hcmv3.HttpConnectionManager) *listenerv3.Filter {
	if len(h.HttpFilters) == 0 {
		h.HttpFilters = []*hcmv3.HttpFilter{routerFilter(t)}
	}
	return &listenerv3.Filter{Name: filterHCM, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: packAny(t, h)}}
}

func inline(rc *routev3.RouteConfiguration) *hcmv3.HttpConnectionManager {
	return &hcmv3.HttpConnectionManager{RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: rc}}
}

// simulateHTTP runs the HCM stage alone on an inline route config.
func simulateHTTP(t testing.TB, rc *routev3.RouteConfiguration, req Request, filters ...*hcmv3.HttpFilter) (*Result, error) {
	h := inline(rc)
	h.HttpFilters = filters
	res := &Result{}
	err := NewConfig().httpConnectionManager(hcmWith(t, h), &req, res)
	return res, err
}

func mustSimulateHTTP(t testing.TB, rc *routev3.RouteConfiguration, req Request, filters ...*hcmv3.HttpFilter) *Result {
	t.Helper()
	res, err := simulateHTTP(t, rc, req, filters...)
	if err != nil {
		t.Fatalf("simulate: %v", err)
	}
	return res
}

func httpGet(authority, path string) Request {
	return Request{Protocol: HTTP1, Authority: authority, Method: "GET", Path: path, DestPort: 80}
}

func vhost(name string, domains []string, routes ...*routev3.Route) *routev3.VirtualHost {
	return &routev3.VirtualHost{Name: name, Domains: domains, Routes: routes}
}

func toCluster(name string, m *routev3.RouteMatch, cluster string) *routev3.Route {
	return &routev3.Route{Name: name, Match: m, Action: &routev3.Route_Route{Route: &routev3.RouteAction{
		ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster},
	}}}
}

func prefixMatch(p string) *routev3.RouteMatch {
	return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: p}}
}

func routeTable(vhs ...*routev3.VirtualHost) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{Name: "rc", VirtualHosts: vhs}
}

func isCannot(err error) bool {
	var c *CannotSimulateError
	return errors.As(err, &c)
}

func wantFailure(t testing.TB, res *Result, status int, flag string) {
	t.Helper()
	if res.Failure == nil || res.Failure.Status != status || res.Failure.Flag != flag {
		t.Fatalf("failure = %v, want %d %s", res.Failure, status, flag)
	}
}
