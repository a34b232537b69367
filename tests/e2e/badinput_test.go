package e2e

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/weftmesh/weft/internal/grpcapp"
	"github.com/weftmesh/weft/tests/harness"
)

// A bad edit to a live routing file is reported with file, resource and
// field, and the proxies keep being served the last good routing.
func TestBadInputKeepsLastGoodConfig(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env := startEnv(ctx, t, envOptions{routing: weighted(90, 10)})
	_, err := grpcapp.WaitFor(ctx, env.client, grpcapp.And(grpcapp.AllSucceed(), grpcapp.SeesAll("reviews-v1", "reviews-v2")))
	must(t, err)

	bad := []struct {
		name, yaml string
		wantLog    []string // all must appear in weftd's log
	}{
		{"malformed yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews\n",
			[]string{"reviews-routing.yaml", "malformed YAML", "line=3"}},
		{"all weights zero", weighted(0, 0), []string{"reviews-routing.yaml", "kind=VirtualService namespace=default name=reviews", "field=spec.http[0].route "}},
		{"unknown subset", vsYAML("  - route: [{destination: {host: reviews, subset: v3}}]\n"),
			[]string{"reviews-routing.yaml", "kind=VirtualService namespace=default name=reviews", "field=spec.http[0].route[0].destination.subset"}},
		{"bad duration", vsYAML("  - timeout: 5 sec\n    route: [{destination: {host: reviews, subset: v2}}]\n"),
			[]string{"reviews-routing.yaml", "kind=VirtualService namespace=default name=reviews", "field=spec.http[0].timeout"}},
		{"invalid regex", vsYAML("  - match: [{uri: {regex: \"[\"}}]\n    route: [{destination: {host: reviews, subset: v2}}]\n"),
			[]string{"reviews-routing.yaml", "kind=VirtualService namespace=default name=reviews", "field=spec.http[0].match[0].uri.regex"}},
		{"unknown kind", "apiVersion: networking.istio.io/v1\nkind: VirtualSerivce\nmetadata: {name: reviews}\nspec: {}\n",
			[]string{"reviews-routing.yaml", "kind=VirtualSerivce", "field=kind"}},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			since := len(env.w.Logs())
			must(t, env.w.WriteConfig("reviews-routing.yaml", b.yaml))
			waitForLog(ctx, t, env.w, since, b.wantLog)
			res := env.client.Run(ctx, grpcapp.RunOptions{N: 1000, Concurrency: 8})
			if res.OK() != 1000 {
				t.Fatalf("traffic failed after a bad edit: %v", res)
			}
			if share := 100 * res.Share("reviews-v2"); math.Abs(share-10) > 3.5 {
				t.Errorf("v2 share %.1f%%: the last good 90/10 split is no longer in force", share)
			}
		})
	}
	select {
	case <-env.w.Exited():
		t.Fatal("weftd exited after bad input")
	default:
	}
}

// waitForLog waits (bounded, generously: weftd may share the machine with
// other tests) until every fragment appears in one log line written after
// offset since.
func waitForLog(ctx context.Context, t *testing.T, w *harness.Weftd, since int, fragments []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		for _, line := range strings.Split(w.Logs()[since:], "\n") {
			if containsAll(line, fragments) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no weftd log line contains all of %q", fragments)
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
