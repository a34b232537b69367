package server

import (
	"context"
	"strings"
	"testing"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/pilot/mesh"
)

// ratingsYAML adds a second service, so config can change without reviews changing.
const ratingsYAML = `
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
spec: {ports: [{name: grpc, port: 9080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ratings-1, namespace: default, labels: {kubernetes.io/service-name: ratings}}
addressType: IPv4
ports: [{name: grpc, port: 9080}]
endpoints: [{addresses: [127.0.0.3]}]
`

const (
	reviewsCluster = "outbound|9080||reviews.default.svc.cluster.local"
	ratingsCluster = "outbound|9080||ratings.default.svc.cluster.local"
)

// twoServices is reviews and ratings with the endpoint of each named
// service moved to the given address.
func twoServices(t *testing.T, version string, moved map[string]string) *mesh.Mesh {
	m := meshFromYAML(t, version, reviewsYAML+ratingsYAML)
	for name, addr := range moved {
		m.Service(name + ".default.svc.cluster.local").Endpoints[9080][0].Address = addr
	}
	return m
}

func sidecarNode() *core.Node {
	md, _ := structpb.NewStruct(map[string]any{"NAMESPACE": "default"})
	return &core.Node{Id: nodeID, Metadata: md}
}

// responses reads a stream on one goroutine for the whole test, so a test
// can wait for a response or assert that none comes.
func responses[T any](recv func() (T, error)) <-chan T {
	out := make(chan T, 16)
	go func() {
		defer close(out)
		for {
			r, err := recv()
			if err != nil {
				return
			}
			out <- r
		}
	}()
	return out
}

func next[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case r, ok := <-ch:
		if !ok {
			t.Fatal("stream closed")
		}
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no response within 5s")
	}
	var zero T
	return zero
}

func none[T any](t *testing.T, ch <-chan T, why string) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s, but got %v", why, r)
	case <-time.After(300 * time.Millisecond):
	}
}

func openSotW(t *testing.T, f *fixture) (discovery.AggregatedDiscoveryService_StreamAggregatedResourcesClient, <-chan *discovery.DiscoveryResponse) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	s, err := discovery.NewAggregatedDiscoveryServiceClient(f.conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s, responses(s.Recv)
}

// One response per type is in flight: a change waits for the client's
// ACK, a request carrying a stale nonce is ignored, and a NACKed version is
// not sent again; a newer version is.
func TestSotWFlowControlAndNack(t *testing.T) {
	f := start(t)
	s, got := openSotW(t, f)
	s.Send(&discovery.DiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.ClusterType})
	first := next(t, got)
	if len(first.Resources) == 0 {
		t.Fatal("wildcard CDS response is empty")
	}
	f.srv.Update(meshFromYAML(t, "2", reviewsYAML+ratingsYAML))
	none(t, got, "a new version was sent before the previous one was acknowledged")
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.ClusterType, VersionInfo: first.VersionInfo, ResponseNonce: "stale"})
	none(t, got, "a request with a stale nonce was answered")
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.ClusterType, VersionInfo: first.VersionInfo, ResponseNonce: first.Nonce})
	second := next(t, got)
	if second.VersionInfo == first.VersionInfo || len(second.Resources) != len(first.Resources)+1 {
		t.Fatalf("after the ACK: version %s with %d clusters, want a new version with one more than %d",
			second.VersionInfo, len(second.Resources), len(first.Resources))
	}
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.ClusterType, VersionInfo: first.VersionInfo, ResponseNonce: second.Nonce,
		ErrorDetail: &status.Status{Message: "rejected"}})
	none(t, got, "the NACKed version was sent again")
	f.srv.Update(meshFromYAML(t, "3", reviewsYAML))
	none(t, got, "the client was sent the version it already has")
	details := strings.ReplaceAll(ratingsYAML, "ratings", "details")
	f.srv.Update(meshFromYAML(t, "4", reviewsYAML+details))
	if third := next(t, got); third.VersionInfo == first.VersionInfo || third.VersionInfo == second.VersionInfo {
		t.Fatalf("after the NACK a newer config should be sent: got version %s", third.VersionInfo)
	}
}

func openDelta(t *testing.T, f *fixture) (discovery.AggregatedDiscoveryService_DeltaAggregatedResourcesClient, <-chan *discovery.DeltaDiscoveryResponse) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	s, err := discovery.NewAggregatedDiscoveryServiceClient(f.conn).DeltaAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s, responses(s.Recv)
}

func names(rs []*discovery.Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.GetName())
	}
	return out
}

// Incremental EDS: an endpoint change sends only the changed cluster's
// endpoints, a removed service is named in removed_resources, and a
// reconnecting client that says what it has is sent nothing it has.
func TestDeltaSendsOnlyWhatChanged(t *testing.T) {
	f := start(t)
	f.srv.Update(meshFromYAML(t, "2", reviewsYAML+ratingsYAML))
	s, got := openDelta(t, f)
	s.Send(&discovery.DeltaDiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.EndpointType,
		ResourceNamesSubscribe: []string{reviewsCluster, ratingsCluster}})
	first := next(t, got)
	if n := names(first.Resources); len(n) != 2 {
		t.Fatalf("first response carries %v, want both clusters' endpoints", n)
	}
	s.Send(&discovery.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResponseNonce: first.Nonce})

	f.srv.Update(twoServices(t, "3", map[string]string{"ratings": "127.0.0.4"}))
	second := next(t, got)
	if n := names(second.Resources); len(n) != 1 || n[0] != ratingsCluster || len(second.RemovedResources) != 0 {
		t.Fatalf("endpoint change sent %v removed %v, want only %s", n, second.RemovedResources, ratingsCluster)
	}
	var cla endpointv3.ClusterLoadAssignment
	if err := second.Resources[0].Resource.UnmarshalTo(&cla); err != nil ||
		cla.Endpoints[0].LbEndpoints[0].GetEndpoint().GetAddress().GetSocketAddress().GetAddress() != "127.0.0.4" {
		t.Fatalf("ratings endpoints %v (err %v), want 127.0.0.4", &cla, err)
	}
	s.Send(&discovery.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResponseNonce: second.Nonce})

	f.srv.Update(meshFromYAML(t, "4", reviewsYAML))
	third := next(t, got)
	if len(third.Resources) != 0 || len(third.RemovedResources) != 1 || third.RemovedResources[0] != ratingsCluster {
		t.Fatalf("service removal sent %v removed %v, want only %s removed", names(third.Resources), third.RemovedResources, ratingsCluster)
	}

	has := map[string]string{reviewsCluster: first.Resources[0].Version}
	if first.Resources[0].Name != reviewsCluster {
		has[reviewsCluster] = first.Resources[1].Version
	}
	again, gotAgain := openDelta(t, f)
	again.Send(&discovery.DeltaDiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.EndpointType,
		ResourceNamesSubscribe: []string{reviewsCluster}, InitialResourceVersions: has})
	if r := next(t, gotAgain); len(r.Resources) != 0 {
		t.Fatalf("reconnect resent %v the client already has", names(r.Resources))
	}
}

// Endpoints and routes are not state-of-the-world types, so a SotW
// response carries only what changed: an endpoint change of one cluster
// sends that cluster's endpoints alone, and what a NACKed response carried
// is sent again with the next change.
func TestSotWSendsOnlyChangedEndpoints(t *testing.T) {
	f := start(t)
	f.srv.Update(meshFromYAML(t, "2", reviewsYAML+ratingsYAML))
	s, got := openSotW(t, f)
	both := []string{ratingsCluster, reviewsCluster}
	s.Send(&discovery.DiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.EndpointType, ResourceNames: both})
	first := next(t, got)
	if len(first.Resources) != 2 {
		t.Fatalf("first EDS response carries %d clusters, want 2", len(first.Resources))
	}
	ack := func(r *discovery.DiscoveryResponse) {
		s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNames: both, VersionInfo: r.VersionInfo, ResponseNonce: r.Nonce})
	}
	ack(first)
	f.srv.Update(twoServices(t, "3", map[string]string{"ratings": "127.0.0.4"}))
	second := next(t, got)
	var cla endpointv3.ClusterLoadAssignment
	if len(second.Resources) != 1 || second.Resources[0].UnmarshalTo(&cla) != nil || cla.ClusterName != ratingsCluster {
		t.Fatalf("endpoint change sent %d resources (%s), want ratings' only", len(second.Resources), cla.ClusterName)
	}
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNames: both, VersionInfo: first.VersionInfo,
		ResponseNonce: second.Nonce, ErrorDetail: &status.Status{Message: "rejected"}})
	f.srv.Update(twoServices(t, "4", map[string]string{"ratings": "127.0.0.4", "reviews": "127.0.0.6"}))
	// The client never took ratings' new endpoints, so they go again with reviews'.
	if third := next(t, got); len(third.Resources) != 2 {
		t.Fatalf("after a NACK and a change to reviews, %d resources sent, want ratings' and reviews'", len(third.Resources))
	}
}

// A named cluster subscription is not answered again when the clusters it
// names did not change, even though the type's version did (a new listener
// brought new clusters the client has not asked for yet).
func TestSotWNamedSubscriptionSkipsUnchangedContent(t *testing.T) {
	f := start(t)
	f.srv.Update(meshFromYAML(t, "2", reviewsYAML+ratingsYAML))
	s, got := openSotW(t, f)
	request := func(typeURL string, prev *discovery.DiscoveryResponse, names ...string) {
		req := &discovery.DiscoveryRequest{TypeUrl: typeURL, ResourceNames: names}
		if prev == nil && typeURL == resource.ListenerType {
			req.Node = grpcNode()
		}
		if prev != nil {
			req.VersionInfo, req.ResponseNonce = prev.VersionInfo, prev.Nonce
		}
		s.Send(req)
	}
	request(resource.ListenerType, nil, target)
	lds := next(t, got)
	request(resource.ClusterType, nil, reviewsCluster)
	cds := next(t, got)
	request(resource.ClusterType, cds, reviewsCluster)
	request(resource.ListenerType, lds, target, "ratings.default.svc.cluster.local:9080")
	if r := next(t, got); r.TypeUrl != resource.ListenerType || len(r.Resources) != 2 {
		t.Fatalf("want both listeners, got %s with %d", r.TypeUrl, len(r.Resources))
	}
	none(t, got, "the reviews cluster was sent again unchanged")
	request(resource.ClusterType, cds, reviewsCluster, ratingsCluster)
	if r := next(t, got); r.TypeUrl != resource.ClusterType || len(r.Resources) != 2 {
		t.Fatalf("want both clusters, got %s with %d", r.TypeUrl, len(r.Resources))
	}
}

// A client drops endpoints it unsubscribes from (grpc-go does when no
// route references the cluster any more), so subscribing again must send
// them again even though they did not change.
func TestSotWResubscribeSendsAgain(t *testing.T) {
	f := start(t)
	f.srv.Update(meshFromYAML(t, "2", reviewsYAML+ratingsYAML))
	s, got := openSotW(t, f)
	both := []string{ratingsCluster, reviewsCluster}
	s.Send(&discovery.DiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.EndpointType, ResourceNames: both})
	first := next(t, got)
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNames: []string{reviewsCluster},
		VersionInfo: first.VersionInfo, ResponseNonce: first.Nonce})
	none(t, got, "unsubscribing was answered with nothing new to send")
	s.Send(&discovery.DiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNames: both,
		VersionInfo: first.VersionInfo, ResponseNonce: first.Nonce})
	again := next(t, got)
	var cla endpointv3.ClusterLoadAssignment
	if len(again.Resources) != 1 || again.Resources[0].UnmarshalTo(&cla) != nil || cla.ClusterName != ratingsCluster {
		t.Fatalf("re-subscribing sent %d resources (%s), want ratings' endpoints again", len(again.Resources), cla.ClusterName)
	}
}

// A delta client that NACKs keeps what it had, so the rejected resources
// go again with the next change.
func TestDeltaNackedResourcesAreSentAgain(t *testing.T) {
	f := start(t)
	f.srv.Update(twoServices(t, "2", nil))
	s, got := openDelta(t, f)
	s.Send(&discovery.DeltaDiscoveryRequest{Node: sidecarNode(), TypeUrl: resource.EndpointType,
		ResourceNamesSubscribe: []string{reviewsCluster, ratingsCluster}})
	first := next(t, got)
	s.Send(&discovery.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResponseNonce: first.Nonce})
	f.srv.Update(twoServices(t, "3", map[string]string{"ratings": "127.0.0.4"}))
	second := next(t, got)
	s.Send(&discovery.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResponseNonce: second.Nonce,
		ErrorDetail: &status.Status{Message: "rejected"}})
	waitStatus(t, f.srv, func(st ProxyStatus) bool { return st.Nacks == 1 }) // delta responses are not held for ACKs
	f.srv.Update(twoServices(t, "4", map[string]string{"ratings": "127.0.0.4", "reviews": "127.0.0.6"}))
	if n := names(next(t, got).Resources); len(n) != 2 {
		t.Fatalf("after a NACK and a change to reviews, sent %v, want ratings and reviews", n)
	}
}
