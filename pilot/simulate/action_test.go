package simulate

import (
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func actionOf(t *testing.T, r *routev3.Route, req Request) *Result {
	t.Helper()
	return mustSimulateHTTP(t, routeTable(vhost("vh", []string{"*"}, r)), req)
}

func forward(m *routev3.RouteMatch, a *routev3.RouteAction) *routev3.Route {
	return &routev3.Route{Name: "r", Match: m, Action: &routev3.Route_Route{Route: a}}
}

func weighted(ws ...uint32) *routev3.RouteAction {
	wc := &routev3.WeightedCluster{}
	for i, w := range ws {
		wc.Clusters = append(wc.Clusters, &routev3.WeightedCluster_ClusterWeight{Name: string(rune('a' + i)), Weight: wrapperspb.UInt32(w)})
	}
	return &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_WeightedClusters{WeightedClusters: wc}}
}

// WeightedCluster: each cluster receives weight / (sum of weights); the
// deprecated total_weight is ignored (the client uses the sum). With
// header_name, the header's integer value picks the cluster.
func TestActionWeightedClusters(t *testing.T) {
	a := weighted(90, 10)
	//lint:ignore SA1019 the test checks Envoy ignores the deprecated total_weight
	a.GetWeightedClusters().TotalWeight = wrapperspb.UInt32(1000)
	res := actionOf(t, forward(prefixMatch("/"), a), httpGet("h", "/"))
	want := []WeightedCluster{{"a", 90, 0.9}, {"b", 10, 0.1}}
	if len(res.Action.Clusters) != 2 || res.Action.Clusters[0] != want[0] || res.Action.Clusters[1] != want[1] {
		t.Errorf("clusters %+v, want %+v", res.Action.Clusters, want)
	}
	a = weighted(90, 10)
	a.GetWeightedClusters().RandomValueSpecifier = &routev3.WeightedCluster_HeaderName{HeaderName: "x-pick"}
	res = actionOf(t, forward(prefixMatch("/"), a), withHeaders(httpGet("h", "/"), "x-pick", "195"))
	if len(res.Action.Clusters) != 1 || res.Action.Clusters[0].Name != "b" || res.Action.Clusters[0].Probability != 1 {
		t.Errorf("header_name 195 %% 100 = 95: clusters %+v, want b only", res.Action.Clusters)
	}
}

// cluster_header names the cluster from a request header at run time:
// reported, not guessed.
func TestActionClusterHeaderCannotSimulate(t *testing.T) {
	a := &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_ClusterHeader{ClusterHeader: "x-cluster"}}
	_, err := simulateHTTP(t, routeTable(vhost("vh", []string{"*"}, forward(prefixMatch("/"), a))), httpGet("h", "/"))
	if !isCannot(err) {
		t.Errorf("err %v, want CannotSimulateError", err)
	}
}

// RouteAction.timeout defaults to 15s and 0 disables it; the route's
// retry_policy wins whole over the virtual host's, and num_retries
// defaults to 1; mirror policies mirror their runtime_fraction's share.
func TestActionTimeoutRetryMirror(t *testing.T) {
	res := actionOf(t, toCluster("r", prefixMatch("/"), "c"), httpGet("h", "/"))
	if res.Action.Timeout == nil || *res.Action.Timeout != 15*time.Second {
		t.Errorf("default timeout %v, want 15s", res.Action.Timeout)
	}
	a := &routev3.RouteAction{
		ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "c"},
		Timeout:          durationpb.New(0),
		RetryPolicy:      &routev3.RetryPolicy{RetryOn: "5xx, reset", PerTryTimeout: durationpb.New(time.Second)},
		RequestMirrorPolicies: []*routev3.RouteAction_RequestMirrorPolicy{
			{Cluster: "shadow", RuntimeFraction: &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 250000, Denominator: typev3.FractionalPercent_MILLION}}},
			{Cluster: "all"},
		},
	}
	vh := vhost("vh", []string{"*"}, forward(prefixMatch("/"), a))
	vh.RetryPolicy = &routev3.RetryPolicy{RetryOn: "gateway-error", NumRetries: wrapperspb.UInt32(7)}
	res = mustSimulateHTTP(t, routeTable(vh), httpGet("h", "/"))
	if *res.Action.Timeout != 0 {
		t.Errorf("timeout %v, want 0 (disabled)", *res.Action.Timeout)
	}
	r := res.Action.Retry
	if r == nil || r.Attempts != 1 || len(r.RetryOn) != 2 || r.RetryOn[1] != "reset" || *r.PerTryTimeout != time.Second {
		t.Errorf("retry %+v, want the route's: 1 attempt on 5xx,reset, 1s per try", r)
	}
	if m := res.Action.Mirrors; len(m) != 2 || m[0] != (Mirror{"shadow", 0.25}) || m[1] != (Mirror{"all", 1}) {
		t.Errorf("mirrors %+v", m)
	}
	a.RetryPolicy = nil
	res = mustSimulateHTTP(t, routeTable(vh), httpGet("h", "/"))
	if res.Action.Retry.Attempts != 7 {
		t.Errorf("retry %+v, want the virtual host's 7 attempts", res.Action.Retry)
	}
}

// prefix_rewrite replaces the matched prefix, regex_rewrite substitutes
// every match (\N names a group); the query string is kept;
// host_rewrite_literal sets the authority.
func TestActionRewrites(t *testing.T) {
	a := &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "c"}, PrefixRewrite: "/v2/",
		HostRewriteSpecifier: &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: "internal"}}
	res := actionOf(t, forward(prefixMatch("/api/"), a), httpGet("h", "/api/users?id=1"))
	if res.Action.RewritePath != "/v2/users?id=1" || res.Action.RewriteAuthority != "internal" {
		t.Errorf("rewrite %q %q", res.Action.RewritePath, res.Action.RewriteAuthority)
	}
	a = &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "c"}, RegexRewrite: &matcherv3.RegexMatchAndSubstitute{
		Pattern: &matcherv3.RegexMatcher{Regex: "^/v[0-9]+/(.*)"}, Substitution: `/\1`}}
	res = actionOf(t, forward(regexMatch("/v[0-9]+/.*"), a), httpGet("h", "/v3/items/7?x=y"))
	if res.Action.RewritePath != "/items/7?x=y" {
		t.Errorf("regex rewrite %q, want /items/7?x=y", res.Action.RewritePath)
	}
}

// RedirectAction: Location is scheme://host[:port]/path with each part
// replaced when the action says so. A new port, or a new scheme when the
// old port was the old scheme's default, drops the request's port;
// path_redirect keeps the request's query unless it has its own;
// strip_query drops it; the code defaults to 301.
func TestActionRedirectLocation(t *testing.T) {
	cases := []struct {
		name      string
		r         *routev3.RedirectAction
		host, url string
		code      int
		location  string
	}{
		{"path keeps query", &routev3.RedirectAction{HostRedirect: "new.com", PathRewriteSpecifier: &routev3.RedirectAction_PathRedirect{PathRedirect: "/new"}},
			"old.com", "/old?a=1", 301, "http://new.com/new?a=1"},
		{"path with own query", &routev3.RedirectAction{PathRewriteSpecifier: &routev3.RedirectAction_PathRedirect{PathRedirect: "/new?b=2"}},
			"old.com", "/old?a=1", 301, "http://old.com/new?b=2"},
		{"https drops :80", &routev3.RedirectAction{SchemeRewriteSpecifier: &routev3.RedirectAction_HttpsRedirect{HttpsRedirect: true}, ResponseCode: routev3.RedirectAction_PERMANENT_REDIRECT},
			"a.com:80", "/x", 308, "https://a.com/x"},
		{"https keeps :8080", &routev3.RedirectAction{SchemeRewriteSpecifier: &routev3.RedirectAction_HttpsRedirect{HttpsRedirect: true}},
			"a.com:8080", "/x", 301, "https://a.com:8080/x"},
		{"new port", &routev3.RedirectAction{PortRedirect: 8443, ResponseCode: routev3.RedirectAction_FOUND},
			"a.com:8080", "/x", 302, "http://a.com:8443/x"},
		{"prefix rewrite, strip query", &routev3.RedirectAction{PathRewriteSpecifier: &routev3.RedirectAction_PrefixRewrite{PrefixRewrite: "/b/"}, StripQuery: true},
			"a.com", "/a/x?q=1", 301, "http://a.com/b/x"},
	}
	for _, tc := range cases {
		r := &routev3.Route{Name: "r", Match: prefixMatch("/a/"), Action: &routev3.Route_Redirect{Redirect: tc.r}}
		if tc.name != "prefix rewrite, strip query" {
			r.Match = prefixMatch("/")
		}
		res := actionOf(t, r, httpGet(tc.host, tc.url))
		if got := res.Action.Redirect; got == nil || got.Code != tc.code || got.Location != tc.location {
			t.Errorf("%s: redirect %+v, want %d %s", tc.name, got, tc.code, tc.location)
		}
	}
}

// DirectResponseAction: the proxy answers with the status and inline body.
func TestActionDirectResponse(t *testing.T) {
	r := &routev3.Route{Match: prefixMatch("/health"), Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{
		Status: 200, Body: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: "ok"}}}}}
	res := actionOf(t, r, httpGet("h", "/health"))
	if d := res.Action.DirectResponse; d == nil || *d != (DirectResponse{200, "ok"}) || len(res.Action.Clusters) != 0 {
		t.Errorf("direct response %+v, clusters %v", d, res.Action.Clusters)
	}
}

func setHeader(k, v string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: v}, AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD}
}

// Custom request headers: by default edits apply from the most specific
// level (route) to the least (route config), so the route config's value
// wins; most_specific_header_mutations_wins reverses that. Within a level
// removal comes before addition; the default append action appends.
func TestActionHeaderOrder(t *testing.T) {
	r := toCluster("r", prefixMatch("/"), "c")
	r.RequestHeadersToAdd = []*corev3.HeaderValueOption{setHeader("x-level", "route"), {Header: &corev3.HeaderValue{Key: "x-add", Value: "1"}}}
	vh := vhost("vh", []string{"*"}, r)
	vh.RequestHeadersToAdd = []*corev3.HeaderValueOption{setHeader("x-level", "vhost"), {Header: &corev3.HeaderValue{Key: "x-add", Value: "2"}}}
	vh.RequestHeadersToRemove = []string{"x-internal"}
	rc := routeTable(vh)
	rc.RequestHeadersToAdd = []*corev3.HeaderValueOption{setHeader("x-level", "config")}
	res := mustSimulateHTTP(t, rc, httpGet("h", "/"))
	h := res.Action.RequestHeaders
	if h.Set["x-level"] != "config" || h.Append["x-add"] != "1,2" || len(h.Remove) != 1 || h.Remove[0] != "x-internal" {
		t.Errorf("default order: %+v", h)
	}
	rc.MostSpecificHeaderMutationsWins = true
	res = mustSimulateHTTP(t, rc, httpGet("h", "/"))
	if got := res.Action.RequestHeaders.Set["x-level"]; got != "route" {
		t.Errorf("most_specific_header_mutations_wins: x-level %q, want route", got)
	}
}
