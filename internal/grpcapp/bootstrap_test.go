package grpcapp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/xds"
)

func TestBootstrapFields(t *testing.T) {
	bs, err := Bootstrap(BootstrapOptions{
		XDSAddr: "127.0.0.1:15010", PodName: "reviews-v1", Namespace: "prod", IP: "127.0.0.2",
		Labels: map[string]string{"app": "reviews", "version": "v1"}, ServiceAccount: "bookinfo-reviews",
	})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(bs, &got); err != nil {
		t.Fatalf("bootstrap is not JSON: %v\n%s", err, bs)
	}
	srv := got["xds_servers"].([]any)[0].(map[string]any)
	assertEq(t, "server_uri", srv["server_uri"], "127.0.0.1:15010")
	assertEq(t, "channel_creds.type", srv["channel_creds"].([]any)[0].(map[string]any)["type"], "insecure")
	assertEq(t, "server_features[0]", srv["server_features"].([]any)[0], "xds_v3")
	node := got["node"].(map[string]any)
	assertEq(t, "node.id", node["id"], "sidecar~127.0.0.2~reviews-v1.prod~prod.svc.cluster.local")
	md := node["metadata"].(map[string]any)
	assertEq(t, "NAMESPACE", md["NAMESPACE"], "prod")
	assertEq(t, "SERVICE_ACCOUNT", md["SERVICE_ACCOUNT"], "bookinfo-reviews")
	assertEq(t, "GENERATOR", md["GENERATOR"], "grpc")
	assertEq(t, "LABELS.version", md["LABELS"].(map[string]any)["version"], "v1")
	assertEq(t, "template", got["server_listener_resource_name_template"], "xds.istio.io/grpc/lds/inbound/%s")
}

// The node locality is written as core.Locality's JSON, which grpc-go
// parses into the node it sends (weftd ranks endpoints from it).
func TestBootstrapLocality(t *testing.T) {
	bs, err := Bootstrap(BootstrapOptions{XDSAddr: "127.0.0.1:1", PodName: "c", Locality: "us-east/zone-a"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bs), `"locality": {
      "region": "us-east",
      "zone": "zone-a"
    }`) {
		t.Errorf("node locality missing:\n%s", bs)
	}
	if _, err := xds.NewXDSResolverWithConfigForTesting(bs); err != nil {
		t.Fatalf("grpc-go rejected bootstrap: %v\n%s", err, bs)
	}
}

func TestBootstrapDefaultsAndGRPCAccepts(t *testing.T) {
	bs, err := Bootstrap(BootstrapOptions{XDSAddr: "127.0.0.1:1", PodName: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bs), `"id": "sidecar~127.0.0.1~c.default~default.svc.cluster.local"`) {
		t.Errorf("default node id missing:\n%s", bs)
	}
	// grpc-go parses the bootstrap here and rejects anything it cannot use.
	if _, err := xds.NewXDSResolverWithConfigForTesting(bs); err != nil {
		t.Fatalf("grpc-go rejected bootstrap: %v\n%s", err, bs)
	}
}

func TestBootstrapRejects(t *testing.T) {
	for name, o := range map[string]BootstrapOptions{
		"no xds addr":      {PodName: "p"},
		"no identity":      {XDSAddr: "127.0.0.1:1"},
		"non-loopback xds": {XDSAddr: "10.0.0.1:15010", PodName: "p"},
	} {
		if _, err := Bootstrap(o); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
}

func TestCallMemoryBounded(t *testing.T) {
	m := NewCallMemory(2)
	for _, id := range []string{"a", "b", "c"} {
		if !m.FirstSeen(id) {
			t.Fatalf("%s: want first", id)
		}
	}
	if m.Len() != 2 || m.FirstSeen("c") || !m.FirstSeen("a") {
		t.Fatalf("eviction wrong: len=%d", m.Len())
	}
}

func assertEq(t *testing.T, what string, got, want any) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestWaitServingEndsWhenStopped: a stopped backend never hangs a waiter.
func TestWaitServingEndsWhenStopped(t *testing.T) {
	b, err := StartBackend(context.Background(), BackendOptions{Name: "x", Addr: "127.0.0.2:0", XDSAddr: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	b.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.WaitServing(ctx); err == nil || ctx.Err() != nil {
		t.Fatalf("WaitServing = %v (ctx %v); want a prompt 'stopped' error", err, ctx.Err())
	}
}
