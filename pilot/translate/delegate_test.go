package translate

import (
	"testing"

	"google.golang.org/protobuf/types/known/durationpb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/weftmesh/weft/pilot/golden"
)

func prefix(p string) *networking.StringMatch {
	return &networking.StringMatch{MatchType: &networking.StringMatch_Prefix{Prefix: p}}
}

func exact(e string) *networking.StringMatch {
	return &networking.StringMatch{MatchType: &networking.StringMatch_Exact{Exact: e}}
}

func regex(r string) *networking.StringMatch {
	return &networking.StringMatch{MatchType: &networking.StringMatch_Regex{Regex: r}}
}

func TestStringConflict(t *testing.T) {
	for _, tc := range []struct {
		name      string
		root, sub *networking.StringMatch
		conflict  bool
	}{
		{"either unset", nil, prefix("/a"), false},
		{"root unset", prefix("/a"), nil, false},
		{"narrower prefix", prefix("/a"), prefix("/a/b"), false},
		{"wider prefix", prefix("/a/b"), prefix("/a"), true},
		{"exact under prefix", prefix("/a"), exact("/a/x"), false},
		{"exact outside prefix", prefix("/a"), exact("/b"), true},
		{"same exact", exact("/a"), exact("/a"), false},
		{"other exact", exact("/a"), exact("/b"), true},
		{"prefix under exact", exact("/a"), prefix("/a"), true},
		{"regex in delegate", prefix("/a"), regex("/a.*"), true},
		{"regex in root", regex("/a.*"), prefix("/a"), true},
	} {
		if got := stringConflict(tc.root, tc.sub); got != tc.conflict {
			t.Errorf("%s: conflict %v, want %v", tc.name, got, tc.conflict)
		}
	}
}

func TestMatchConflict(t *testing.T) {
	for _, tc := range []struct {
		name      string
		root, sub *networking.HTTPMatchRequest
		conflict  bool
	}{
		{"header narrowed", &networking.HTTPMatchRequest{Headers: map[string]*networking.StringMatch{"x": prefix("a")}},
			&networking.HTTPMatchRequest{Headers: map[string]*networking.StringMatch{"x": exact("ab"), "y": exact("1")}}, false},
		{"header outside", &networking.HTTPMatchRequest{Headers: map[string]*networking.StringMatch{"x": exact("a")}},
			&networking.HTTPMatchRequest{Headers: map[string]*networking.StringMatch{"x": exact("b")}}, true},
		{"ignoreUriCase differs", &networking.HTTPMatchRequest{IgnoreUriCase: true}, &networking.HTTPMatchRequest{}, true},
		{"ports differ", &networking.HTTPMatchRequest{Port: 80}, &networking.HTTPMatchRequest{Port: 81}, true},
		{"port added", &networking.HTTPMatchRequest{}, &networking.HTTPMatchRequest{Port: 81}, false},
		{"source namespace differs", &networking.HTTPMatchRequest{SourceNamespace: "a"}, &networking.HTTPMatchRequest{}, true},
		{"source label differs", &networking.HTTPMatchRequest{SourceLabels: map[string]string{"app": "a"}},
			&networking.HTTPMatchRequest{SourceLabels: map[string]string{"app": "b"}}, true},
		{"source label added", &networking.HTTPMatchRequest{SourceLabels: map[string]string{"app": "a"}},
			&networking.HTTPMatchRequest{SourceLabels: map[string]string{"v": "1"}}, false},
		{"gateway outside", &networking.HTTPMatchRequest{Gateways: []string{"mesh"}}, &networking.HTTPMatchRequest{Gateways: []string{"gw"}}, true},
	} {
		if got := matchConflict(tc.root, tc.sub); got != tc.conflict {
			t.Errorf("%s: conflict %v, want %v", tc.name, got, tc.conflict)
		}
	}
}

// Each delegate match goes under every root match it fits; one fitting
// none makes the whole delegate rule a conflict.
func TestMergeMatches(t *testing.T) {
	root := []*networking.HTTPMatchRequest{{Name: "a", Uri: prefix("/a")}, {Name: "b", Uri: prefix("/b")}}
	got, ok := mergeMatches(root, []*networking.HTTPMatchRequest{{Name: "m", Method: exact("GET")}})
	if !ok || len(got) != 2 || got[0].GetName() != "a-m" || got[1].GetUri().GetPrefix() != "/b" || got[1].GetMethod().GetExact() != "GET" {
		t.Errorf("conjunction with both root matches: %v %v", got, ok)
	}
	if got, ok := mergeMatches(root, []*networking.HTTPMatchRequest{{Uri: prefix("/a/x")}}); !ok || len(got) != 1 {
		t.Errorf("a prefix under one root match: %v %v", got, ok)
	}
	if _, ok := mergeMatches(root, []*networking.HTTPMatchRequest{{Uri: prefix("/a/x")}, {Uri: prefix("/c")}}); ok {
		t.Error("a delegate match outside every root match must conflict")
	}
	if got, ok := mergeMatches(nil, []*networking.HTTPMatchRequest{{Uri: prefix("/c")}}); !ok || got[0].GetUri().GetPrefix() != "/c" {
		t.Error("a root without matches keeps the delegate's")
	}
}

// The delegate's settings win; what it leaves unset comes from the root.
func TestMergeDelegatedInherits(t *testing.T) {
	root := &networking.HTTPRoute{Name: "root", Timeout: durationpb.New(5e9), Retries: &networking.HTTPRetry{Attempts: 4},
		Headers: &networking.Headers{Request: &networking.Headers_HeaderOperations{Set: map[string]string{"x-root": "1"}}}}
	sub := &networking.HTTPRoute{Timeout: durationpb.New(1e9)}
	got := mergeDelegated(root, sub)
	if got.GetName() != "root" || got.GetTimeout().AsDuration() != 1e9 || got.GetRetries().GetAttempts() != 4 || got.GetHeaders() == nil {
		t.Errorf("merged %v", got)
	}
	if sub.GetRetries() != nil {
		t.Error("the delegate itself was modified")
	}
}

const chained = `
apiVersion: v1
kind: Service
metadata: {name: api, namespace: a}
spec:
  clusterIP: 10.96.41.1
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: a}
spec:
  hosts: [api]
  http:
  - delegate: {name: first}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: first, namespace: a}
spec:
  http:
  - match: [{uri: {prefix: /deeper}}]
    delegate: {name: second}
  - route: [{destination: {host: api}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: second, namespace: a}
spec:
  http:
  - route: [{destination: {host: api}}]
`

// Only one level of delegation: a delegate's own delegating rule (which
// validation refuses) is left out rather than followed.
func TestChainedDelegationIsNotFollowed(t *testing.T) {
	m := Translate(golden.SnapshotOf(t, "mesh.yaml", []byte(chained)), "t")
	routes := m.VirtualHost("api.a.svc.cluster.local", 80).HTTPRoutes
	if len(routes) != 1 || routes[0].Origin != "a/root.http[0]>a/first.http[1]" {
		for _, r := range routes {
			t.Log(r.Origin)
		}
		t.Errorf("got %d rules, want only first's route rule", len(routes))
	}
}

const crossNamespace = `
apiVersion: v1
kind: Service
metadata: {name: api, namespace: a}
spec:
  clusterIP: 10.96.41.1
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: team}
spec:
  clusterIP: 10.96.41.2
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: root, namespace: a}
spec:
  hosts: [api]
  http:
  - mirror: {host: api}
    delegate: {name: d, namespace: team}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: d, namespace: team}
spec:
  exportTo: [a]
  http:
  - route: [{destination: {host: api}}]
`

// Short names resolve where they are written: the delegate's in its own
// namespace, the root's (here an inherited mirror) in the root's, as
// istiod resolves each VirtualService before merging.
func TestDelegateShortNamesResolveInTheirNamespace(t *testing.T) {
	m := Translate(golden.SnapshotOf(t, "mesh.yaml", []byte(crossNamespace)), "t")
	routes := m.VirtualHost("api.a.svc.cluster.local", 80).HTTPRoutes
	if len(routes) != 1 {
		t.Fatalf("%d rules, want 1", len(routes))
	}
	r := routes[0]
	if got := r.Destinations[0].Cluster.Host; got != "api.team.svc.cluster.local" {
		t.Errorf("route to %s, want the delegate namespace's api", got)
	}
	if len(r.Mirrors) != 1 || r.Mirrors[0].Cluster.Host != "api.a.svc.cluster.local" {
		t.Errorf("mirrors %+v, want the root namespace's api", r.Mirrors)
	}
}
