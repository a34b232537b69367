package share

import (
	"strings"
	"testing"
	"time"
	"unsafe"

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
	if names := p.Names(); len(names) != 1 || names[0] != "ok" || len(p.All()) != 1 || len(p.Resources()) != 1 {
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
		go func() {
			parts, _ := c.Acquire([]Spec{spec}) // held for the test: cached while held
			done <- parts[0]
		}()
	}
	first := <-done
	for range 7 {
		if p := <-done; p != first {
			t.Fatal("callers of one key got different parts")
		}
	}
	other := spec
	other.Key = "k2"
	if parts, _ := c.Acquire([]Spec{other}); parts[0] == first || builds != 2 || c.Builds() != 2 {
		t.Fatalf("builds=%d counted=%d, want 2", builds, c.Builds())
	}
}

// A part stays cached while a proxy holds it and is dropped when the last
// holder lets go: views nobody uses do not accumulate.
func TestCacheDropsPartsNobodyHolds(t *testing.T) {
	c := NewCache(nil)
	spec := func(key string) Spec {
		return Spec{TypeURL: resource.ClusterType, Key: key, Build: func(*build.Degradations) []types.Resource {
			return []types.Resource{cluster("x", 1)}
		}}
	}
	a1, h1 := c.Acquire([]Spec{spec("a")})
	a2, h2 := c.Acquire([]Spec{spec("a")})
	_, hb := c.Acquire([]Spec{spec("b")})
	if a1[0] != a2[0] || c.Len() != 2 || c.Builds() != 2 {
		t.Fatalf("two holders of a, one of b: %d parts cached, %d builds; want the same part of a, 2 and 2", c.Len(), c.Builds())
	}
	hb.Release()
	h1.Release()
	if c.Len() != 1 {
		t.Fatalf("after b's holder and one of a's let go: %d parts cached, want 1 (a)", c.Len())
	}
	h2.Release()
	if c.Len() != 0 {
		t.Fatalf("with no holder: %d parts cached, want 0", c.Len())
	}
	var none *Held
	none.Release() // a proxy that never held anything
}

// A part keeps only its encoding; its messages decode from it on demand,
// equal to what was built.
func TestPartDecodesWhatItEncoded(t *testing.T) {
	built := []types.Resource{cluster("a", 1), cluster("b", 2)}
	p := NewPart(resource.ClusterType, built, nil)
	if p.decoded != nil {
		t.Fatal("the messages were kept, not only their encoding")
	}
	got := p.Resources()
	for _, want := range built {
		name := want.(*clusterv3.Cluster).GetName()
		if !proto.Equal(got[name], want) {
			t.Errorf("%s decodes to %v, want %v", name, got[name], want)
		}
	}
}

// A subscription shares the part's strings for the names the part has.
func TestCanonicalSharesThePartsNames(t *testing.T) {
	p := NewPart(resource.ClusterType, []types.Resource{cluster("a", 1), cluster("b", 1)}, nil)
	asked := []string{"zzz", string([]byte("b"))} // a fresh copy, as decoded from a request
	got := p.Canonical(asked)
	if len(got) != 2 || got[0] != "b" || got[1] != "zzz" {
		t.Fatalf("canonical %q, want sorted [b zzz]", got)
	}
	if unsafe.StringData(got[0]) != unsafe.StringData(p.Names()[1]) {
		t.Error("the subscription holds its own copy of a name the part has")
	}
	all := p.Canonical([]string{string([]byte("b")), string([]byte("a"))})
	if unsafe.SliceData(all) != unsafe.SliceData(p.Names()) {
		t.Errorf("a subscription to exactly the part's names %q does not share the part's slice", all)
	}
	var none *Part
	if got := none.Canonical([]string{"x"}); len(got) != 1 || got[0] != "x" {
		t.Errorf("without a part: %q", got)
	}
}
