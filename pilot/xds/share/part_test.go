package share

import (
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/weftmesh/weft/pilot/xds/build"
)

func cluster(name string, timeoutSeconds int) *clusterv3.Cluster {
	return &clusterv3.Cluster{Name: name, ConnectTimeout: durationpb.New(time.Duration(timeoutSeconds) * time.Second)}
}

// The cache marshals the wire form per response: it must produce exactly
// the bytes of the original message, which decode back to it.
func TestWireFormMarshalsToOriginal(t *testing.T) {
	c := cluster("outbound|9080||a.default.svc.cluster.local", 5)
	p := NewPart(resource.ClusterType, []types.Resource{c}, nil)
	if p.Err != nil {
		t.Fatal(p.Err)
	}
	want, _ := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	got, err := cachev3.MarshalResource(p.Wire()[c.Name].Resource)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("wire form marshals to %d bytes, want the original %d", len(got), len(want))
	}
	var back clusterv3.Cluster
	if err := proto.Unmarshal(got, &back); err != nil || !proto.Equal(&back, c) {
		t.Fatalf("decoded %v (err %v), want %v", &back, err, c)
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
	av, cv := a.ResourceVersions(), changed.ResourceVersions()
	if av["x"] != cv["x"] || av["y"] == cv["y"] {
		t.Fatalf("per-resource versions: before %v after %v; want only y changed", av, cv)
	}
}

// An invalid resource makes the part unusable, naming the resource.
func TestPartRejectsInvalidResource(t *testing.T) {
	bad := &clusterv3.Cluster{Name: "bad", ConnectTimeout: durationpb.New(-1)}
	p := NewPart(resource.ClusterType, []types.Resource{cluster("ok", 1), bad}, nil)
	if p.Err == nil {
		t.Fatal("negative connect timeout accepted")
	}
	if got := p.Err.Error(); !strings.Contains(got, `"bad"`) {
		t.Fatalf("error %q does not name the resource", got)
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
