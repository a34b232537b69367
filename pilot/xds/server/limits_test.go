package server

import (
	"fmt"
	"strings"
	"testing"

	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func manyNames(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// A request weft refuses ends the stream with InvalidArgument naming the
// bound, and is counted by reason.
func TestImplausibleNamesAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name, reason string
		names        []string
	}{
		{"a name longer than any resource's", "name_too_long", []string{"ok", strings.Repeat("x", maxNameBytes+1)}},
		{"more names than a type can have", "too_many_names", manyNames(maxNames+1, "c")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t)
			s, got := openSotW(t, f)
			s.Send(&discovery.DiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.EndpointType, ResourceNames: tc.names})
			if r, ok := <-got; ok {
				t.Fatalf("answered with %s version %s; want the stream refused", r.TypeUrl, r.VersionInfo)
			}
			if _, err := s.Recv(); status.Code(err) != codes.InvalidArgument {
				t.Fatalf("stream ended with %v, want InvalidArgument", err)
			}
			if n := testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues(tc.reason)); n != 1 {
				t.Errorf("weft_xds_requests_refused_total{reason=%q} = %v, want 1", tc.reason, n)
			}
		})
	}
}

// Delta subscriptions add up across requests: they are bounded in total,
// not per request.
func TestDeltaSubscriptionsAreBoundedInTotal(t *testing.T) {
	f := start(t)
	s, got := openDelta(t, f)
	s.Send(&discovery.DeltaDiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.EndpointType, ResourceNamesSubscribe: manyNames(maxNames/2, "a")})
	first := next(t, got)
	s.Send(&discovery.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResponseNonce: first.Nonce, ResourceNamesSubscribe: manyNames(maxNames/2+1, "b")})
	for range got {
	}
	if _, err := s.Recv(); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), fmt.Sprint(maxNames)) {
		t.Fatalf("stream ended with %v, want InvalidArgument naming the bound %d", err, maxNames)
	}
}

// A state-of-the-world client repeats its whole subscription in every
// request: listener names it asked for before do not count again.
func TestRepeatedListenerNamesDoNotCountAgain(t *testing.T) {
	f := start(t)
	s, got := openSotW(t, f)
	names := manyNames(maxNames*2/3, "listener-")
	s.Send(&discovery.DiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.ListenerType, ResourceNames: names})
	first := next(t, got)
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.ListenerType, VersionInfo: first.VersionInfo, ResponseNonce: first.Nonce, ResourceNames: names})
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.ClusterType})
	if r := next(t, got); r.TypeUrl != resource.ClusterType {
		t.Fatalf("got %s, want the clusters: the repeated listener names ended the stream", r.TypeUrl)
	}
}

// A request for a type weft does not serve is answered by nothing and
// counted, the stream keeps working, and nothing of it is kept: 5000 made-up
// 1 KiB type URLs leave the live heap where it was.
func TestUnservedTypesAreIgnoredNotRemembered(t *testing.T) {
	f := start(t)
	s, got := openSotW(t, f)
	s.Send(&discovery.DiscoveryRequest{Node: sidecarNode(), TypeUrl: "type.googleapis.com/made.up.First"})
	none(t, got, "a request for a type weft does not serve was answered")
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.ClusterType})
	first := next(t, got)
	before := liveHeap()
	const made = 5000
	pad := strings.Repeat("x", 1000)
	for i := range made {
		s.Send(&discovery.DiscoveryRequest{TypeUrl: fmt.Sprintf("type.googleapis.com/made.up.%s%d", pad, i)})
	}
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.ClusterType, VersionInfo: first.VersionInfo, ResponseNonce: first.Nonce})
	f.srv.Update(meshFromYAML(t, "2", reviewsYAML+ratingsYAML))
	if r := next(t, got); r.TypeUrl != resource.ClusterType || r.VersionInfo == first.VersionInfo {
		t.Fatalf("got %s version %s, want new clusters on the same stream", r.TypeUrl, r.VersionInfo)
	}
	if n := testutil.ToFloat64(f.srv.metrics.refused.WithLabelValues("unserved_type")); n != made+1 {
		t.Errorf("weft_xds_requests_refused_total{reason=unserved_type} = %v, want %d", n, made+1)
	}
	if after := liveHeap(); after > before+2<<20 {
		t.Errorf("live heap grew from %d KiB to %d KiB: the made-up types are kept", before>>10, after>>10)
	}
}
