package simulate

import (
	"testing"
	"time"

	rbacconfigv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	faultcommon "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/fault/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	faultv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/fault/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	faultName = "envoy.filters.http.fault"
	corsName  = "envoy.filters.http.cors"
	rbacName  = "envoy.filters.http.rbac"
)

func perMillion(n uint32) *typev3.FractionalPercent {
	return &typev3.FractionalPercent{Numerator: n, Denominator: typev3.FractionalPercent_MILLION}
}

// The fault filter's per-route config (typed_per_filter_config, keyed by
// the filter's name) replaces the listener-level one; delay and abort each
// apply to their percentage of requests.
func TestFilterFaultPerRoute(t *testing.T) {
	r := toCluster("r", prefixMatch("/"), "c")
	r.TypedPerFilterConfig = map[string]*anypb.Any{faultName: packAny(t, &faultv3.HTTPFault{
		Delay: &faultcommon.FaultDelay{FaultDelaySecifier: &faultcommon.FaultDelay_FixedDelay{FixedDelay: durationpb.New(2 * time.Second)}, Percentage: perMillion(125000)},
		Abort: &faultv3.FaultAbort{ErrorType: &faultv3.FaultAbort_GrpcStatus{GrpcStatus: 14}, Percentage: perMillion(500000)},
	})}
	res := mustSimulateHTTP(t, routeTable(vhost("vh", []string{"*"}, r)), httpGet("h", "/"),
		httpFilterOf(t, faultName, &faultv3.HTTPFault{}), routerFilter(t))
	f := res.Action.Fault
	if f == nil || *f.Delay != 2*time.Second || f.DelayProbability != 0.125 || f.AbortGRPCStatus != 14 || f.AbortProbability != 0.5 {
		t.Fatalf("fault %+v", f)
	}
	if len(res.Filters) != 2 || res.Filters[1].Filter != "envoy.filters.http.router" {
		t.Errorf("filters %+v, want fault then router", res.Filters)
	}
	res = mustSimulateHTTP(t, routeTable(vhost("vh", []string{"*"}, toCluster("plain", prefixMatch("/"), "c"))), httpGet("h", "/"),
		httpFilterOf(t, faultName, &faultv3.HTTPFault{}), routerFilter(t))
	if res.Action.Fault != nil {
		t.Errorf("route without fault config: fault %+v", res.Action.Fault)
	}
}

// The CORS filter: a request without Origin, or with an origin the policy
// does not allow, passes; an allowed preflight (OPTIONS with
// Access-Control-Request-Method) is answered 200 by the proxy itself.
func TestFilterCORS(t *testing.T) {
	r := toCluster("r", prefixMatch("/"), "c")
	r.TypedPerFilterConfig = map[string]*anypb.Any{corsName: packAny(t, &corsv3.CorsPolicy{
		AllowOriginStringMatch: []*matcherv3.StringMatcher{exactString("https://example.com")},
	})}
	rc := routeTable(vhost("vh", []string{"*"}, r))
	preflight := func(origin string) Request {
		req := withHeaders(httpGet("h", "/"), "origin", origin, "access-control-request-method", "POST")
		req.Method = "OPTIONS"
		return req
	}
	filters := []*hcmv3.HttpFilter{httpFilterOf(t, corsName, &corsv3.Cors{}), routerFilter(t)}
	res := mustSimulateHTTP(t, rc, preflight("https://example.com"), filters...)
	if d := res.Action.DirectResponse; d == nil || d.Status != 200 || len(res.Action.Clusters) != 0 {
		t.Errorf("allowed preflight: action %+v", res.Action)
	}
	res = mustSimulateHTTP(t, rc, preflight("https://evil.com"), filters...)
	if res.Action.DirectResponse != nil || len(res.Action.Clusters) != 1 {
		t.Errorf("disallowed preflight should be forwarded: action %+v", res.Action)
	}
	res = mustSimulateHTTP(t, rc, httpGet("h", "/"), filters...)
	if len(res.Action.Clusters) != 1 || res.Failure != nil {
		t.Errorf("plain request: action %+v failure %v", res.Action, res.Failure)
	}
}

func rbacFilter(t *testing.T, action rbacconfigv3.RBAC_Action, policies map[string]*rbacconfigv3.Policy) *hcmv3.HttpFilter {
	return httpFilterOf(t, rbacName, &rbacv3.RBAC{Rules: &rbacconfigv3.RBAC{Action: action, Policies: policies}})
}

func principalIs(id string) *rbacconfigv3.Principal {
	return &rbacconfigv3.Principal{Identifier: &rbacconfigv3.Principal_Authenticated_{Authenticated: &rbacconfigv3.Principal_Authenticated{PrincipalName: exactString(id)}}}
}

func pathIs(p string) *rbacconfigv3.Permission {
	return &rbacconfigv3.Permission{Rule: &rbacconfigv3.Permission_UrlPath{UrlPath: &matcherv3.PathMatcher{Rule: &matcherv3.PathMatcher_Path{Path: exactString(p)}}}}
}

// RBAC: a policy matches when one of its permissions and one of its
// principals do; ALLOW admits only matching requests, DENY refuses them;
// authenticated principals are the client certificate's identity; a
// denial is 403 with response flag RBAC.
func TestFilterRBAC(t *testing.T) {
	const frontend = "spiffe://cluster.local/ns/default/sa/frontend"
	allow := rbacFilter(t, rbacconfigv3.RBAC_ALLOW, map[string]*rbacconfigv3.Policy{
		"frontend-reads": {Permissions: []*rbacconfigv3.Permission{pathIs("/api")}, Principals: []*rbacconfigv3.Principal{principalIs(frontend)}},
	})
	rc := routeTable(vhost("vh", []string{"*"}, toCluster("r", prefixMatch("/"), "c")))
	req := httpGet("h", "/api?verbose=1")
	req.TLS = &TLS{ClientID: frontend}
	if res := mustSimulateHTTP(t, rc, req, allow, routerFilter(t)); res.Failure != nil {
		t.Errorf("frontend on /api: %v", res.Failure)
	}
	req.TLS.ClientID = "spiffe://cluster.local/ns/default/sa/other"
	wantFailure(t, mustSimulateHTTP(t, rc, req, allow, routerFilter(t)), 403, "RBAC")
	req.TLS = nil
	wantFailure(t, mustSimulateHTTP(t, rc, req, allow, routerFilter(t)), 403, "RBAC")

	deny := rbacFilter(t, rbacconfigv3.RBAC_DENY, map[string]*rbacconfigv3.Policy{
		"no-admin": {Permissions: []*rbacconfigv3.Permission{pathIs("/admin")}, Principals: []*rbacconfigv3.Principal{{Identifier: &rbacconfigv3.Principal_Any{Any: true}}}},
	})
	wantFailure(t, mustSimulateHTTP(t, rc, httpGet("h", "/admin"), deny, routerFilter(t)), 403, "RBAC")
	if res := mustSimulateHTTP(t, rc, httpGet("h", "/api"), deny, routerFilter(t)); res.Failure != nil {
		t.Errorf("DENY policy on /admin refused /api: %v", res.Failure)
	}
}

// Filters: Istio's telemetry filters pass; an empty jwt_authn passes but
// one with providers cannot be simulated; an unknown filter is reported;
// a chain without the router is reported.
func TestFilterChainEdges(t *testing.T) {
	rc := routeTable(vhost("vh", []string{"*"}, toCluster("r", prefixMatch("/"), "c")))
	stats := httpFilterOf(t, "istio.stats", &structpb.Struct{})
	if res := mustSimulateHTTP(t, rc, httpGet("h", "/"), stats, routerFilter(t)); len(res.Filters) != 2 || res.Filters[0].Decision != "pass" {
		t.Errorf("istio.stats: %+v", res.Filters)
	}
	emptyJWT := httpFilterOf(t, "envoy.filters.http.jwt_authn", &jwtv3.JwtAuthentication{})
	if _, err := simulateHTTP(t, rc, httpGet("h", "/"), emptyJWT, routerFilter(t)); err != nil {
		t.Errorf("empty jwt_authn: %v", err)
	}
	jwt := httpFilterOf(t, "envoy.filters.http.jwt_authn", &jwtv3.JwtAuthentication{Providers: map[string]*jwtv3.JwtProvider{"p": {Issuer: "i"}}})
	unknown := httpFilterOf(t, "envoy.filters.http.lua", &structpb.Struct{})
	for name, filters := range map[string][]*hcmv3.HttpFilter{
		"jwt with providers": {jwt, routerFilter(t)},
		"unknown filter":     {unknown, routerFilter(t)},
		"no router":          {stats},
	} {
		if _, err := simulateHTTP(t, rc, httpGet("h", "/"), filters...); !isCannot(err) {
			t.Errorf("%s: err %v, want CannotSimulateError", name, err)
		}
	}
}

// A route can switch a filter off with FilterConfig.disabled.
func TestFilterDisabledPerRoute(t *testing.T) {
	r := toCluster("r", prefixMatch("/"), "c")
	r.TypedPerFilterConfig = map[string]*anypb.Any{rbacName: packAny(t, &routev3.FilterConfig{Disabled: true})}
	denyAll := rbacFilter(t, rbacconfigv3.RBAC_ALLOW, nil)
	res := mustSimulateHTTP(t, routeTable(vhost("vh", []string{"*"}, r)), httpGet("h", "/"), denyAll, routerFilter(t))
	if res.Failure != nil {
		t.Errorf("disabled RBAC denied: %v", res.Failure)
	}
}
