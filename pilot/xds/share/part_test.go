package share

import (
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/weftmesh/weft/pilot/xds/build"
)

func cluster(name string, timeoutSeconds int) *clusterv3.Cluster {
	return &clusterv3.Cluster{Name: name, ConnectTimeout: durationpb.New(time.Duration(timeoutSeconds) * time.Second)}
}

// The shared encoding is the resource itself: typed for its xDS type and
// decoding back to the original message, in the SotW and delta forms alike.
func TestPartEncodesEachResourceOnce(t *testing.T) {
	c := cluster("outbound|9080||a.default.svc.cluster.local", 5)
	p := NewPart(resource.ClusterType, []types.Resource{c, cluster("b", 1)}, nil)
	if len(p.Rejected) != 0 {
		t.Fatal(p.Rejected)
	}
	a, ok := p.Any(c.Name)
	if !ok || a.GetTypeUrl() != resource.ClusterType {
		t.Fatalf("any %v", a)
	}
	var back clusterv3.Cluster
	if err := a.UnmarshalTo(&back); err != nil || !proto.Equal(&back, c) {
		t.Fatalf("decoded %v (err %v), want %v", &back, err, c)
	}
	d, _ := p.DeltaResource(c.Name)
	if d.GetResource() != a || d.GetName() != c.Name || d.GetVersion() == "" {
		t.Fatalf("delta form %v does not share the encoding", d)
	}
	if all := p.All(); len(all) != 2 || all[1] != a || p.Names()[0] != "b" {
		t.Fatalf("All/Names not in name order: %v", p.Names())
	}
}

// Versions follow content: the type version and only the changed
// resource's version move when one resource changes.
func TestPartVersionsFollowContent(t *testing.T) {
	a := NewPart(resource.ClusterType, []types.Resource{cluster("x", 1), cluster("y", 1)}, nil)
	same := NewPart(resource.ClusterType, []types.Resource{cluster("y", 1), cluster("x", 1)}, nil)
	changed := NewPart(resource.ClusterType, []types.Resource{cluster("x", 1), cluster("y", 2)}, nil)
	if a.Version != same.Version {
		t.Fatalf("same content, different versions %q %q", a.Version, same.Version)
	}
	if a.Version == changed.Version {
		t.Fatal("changed content kept the type version")
	}
	version := func(p *Part, n string) string { r, _ := p.DeltaResource(n); return r.GetVersion() }
	if version(a, "x") != version(changed, "x") || version(a, "y") == version(changed, "y") {
		t.Fatal("per-resource versions: want only y's to change")
	}
}

// An invalid resource is left out, named, and the rest of the part is
// served: one bad resource never blocks the others.
func TestPartLeavesOutInvalidResource(t *testing.T) {
	bad := &clusterv3.Cluster{Name: "bad", ConnectTimeout: durationpb.New(-1)}
	p := NewPart(resource.ClusterType, []types.Resource{cluster("ok", 1), bad}, nil)
	if len(p.Rejected) != 1 || p.Rejected[0].Name != "bad" || !strings.Contains(p.Rejected[0].Err.Error(), `"bad"`) {
		t.Fatalf("rejected %v, want only bad, named", p.Rejected)
	}
	if names := p.Names(); len(names) != 1 || names[0] != "ok" || len(p.All()) != 1 || len(p.Resources) != 1 {
		t.Fatalf("served %v, want only ok", names)
	}
	if _, ok := p.Any("bad"); ok {
		t.Fatal("the rejected resource is still encoded")
	}
	good := NewPart(resource.ClusterType, []types.Resource{cluster("ok", 1)}, nil)
	if p.Version != good.Version {
		t.Fatal("the version depends on the rejected resource")
	}
}

// Concurrent requests for one key build once and get the same part.
func TestCacheBuildsEachKeyOnce(t *testing.T) {
	c := NewCache(nil)
	builds := 0
	spec := Spec{TypeURL: resource.ClusterType, Key: "k", Build: func(*build.Degradations) []types.Resource {
		builds++
		return []types.Resource{cluster("x", 1)}
	}}
	done := make(chan *Part, 8)
	for range 8 {
		go func() { done <- c.Part(spec) }()
	}
	first := <-done
	for range 7 {
		if p := <-done; p != first {
			t.Fatal("callers of one key got different parts")
		}
	}
	other := spec
	other.Key = "k2"
	if c.Part(other) == first || builds != 2 || c.Builds() != 2 {
		t.Fatalf("builds=%d counted=%d, want 2", builds, c.Builds())
	}
}
