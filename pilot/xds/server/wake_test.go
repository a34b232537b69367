package server

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/structpb"
)

// Pushes run on a goroutine per wake-up while the stream's handler reads
// ACKs: many changes in a row, each landing while the previous push may
// still be running, end with the client holding the latest version.
func TestRapidChangesEndWithTheLatest(t *testing.T) {
	f := start(t)
	s, got := openSotW(t, f)
	s.Send(&discovery.DiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.ClusterType})
	var latest atomic.Value // the version the client last acknowledged
	go func() {
		for r := range got {
			latest.Store(r.VersionInfo)
			s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.ClusterType, VersionInfo: r.VersionInfo, ResponseNonce: r.Nonce})
		}
	}()
	const changes = 60
	for i := range changes {
		f.srv.Update(meshFromYAML(t, fmt.Sprint(i), reviewsYAML+manyServicesYAML(1+i%7)))
	}
	want := currentClusterVersion(t, f)
	deadline := time.Now().Add(10 * time.Second)
	for latest.Load() != want {
		if time.Now().After(deadline) {
			t.Fatalf("after %d changes the client holds version %v, want the latest %s", changes, latest.Load(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// currentClusterVersion asks a second proxy of the same view for its
// clusters: the version the server publishes now.
func currentClusterVersion(t *testing.T, f *fixture) string {
	t.Helper()
	s, got := openSotW(t, f)
	md, _ := structpb.NewStruct(map[string]any{"NAMESPACE": "default"})
	node := &core.Node{Id: "sidecar~127.0.0.9~witness.default~default.svc.cluster.local", Metadata: md}
	s.Send(&discovery.DiscoveryRequest{Node: node, TypeUrl: resource.ClusterType})
	return next(t, got).VersionInfo
}

// A wake-up during a push is served by one more push once it ends; several
// are coalesced into that one.
func TestWakeDuringPushIsServedAfterIt(t *testing.T) {
	st := &stream{ctx: context.Background()}
	entered, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	st.onWake = func() error { calls.Add(1); entered <- struct{}{}; <-release; return nil }
	pushRuns := func(what string) {
		t.Helper()
		select {
		case <-entered:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no push within 5s", what)
		}
	}
	st.wake()
	pushRuns("first wake-up")
	st.wake()
	st.wake()
	release <- struct{}{}
	pushRuns("wake-ups during the first push")
	release <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for st.pushing.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the push goroutine did not end")
		}
		time.Sleep(time.Millisecond)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d pushes, want 2 (the first and one for the wake-ups during it)", n)
	}
}
