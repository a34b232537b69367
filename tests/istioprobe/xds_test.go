//go:build istioprobe

package istioprobe

import (
	"context"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/weftmesh/weft/pilot/simulate"
)

// adsStream asks istiod for one type at a time, as a sidecar would.
type adsStream struct {
	t      *testing.T
	node   *corev3.Node
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
}

// fetchConfig is what istiod sends a sidecar with this node id and labels,
// minus istio.alpn HTTP filters and cluster filters (metadata exchange),
// which change no routing and the simulator does not model.
func fetchConfig(t *testing.T, id string, labels map[string]string) *simulate.Config {
	conn, err := grpc.NewClient(istiodGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ads := &adsStream{t: t, node: sidecarNode(t, id, labels), stream: st}
	c := simulate.NewConfig()
	eds := ads.clusters(c)
	rds := ads.listeners(c)
	ads.routes(c, rds)
	ads.endpoints(c, eds)
	return c
}

func sidecarNode(t *testing.T, id string, labels map[string]string) *corev3.Node {
	parts := strings.Split(id, "~")
	ns := parts[2][strings.Index(parts[2], ".")+1:]
	lab := map[string]any{}
	for k, v := range labels {
		lab[k] = v
	}
	md, err := structpb.NewStruct(map[string]any{"NAMESPACE": ns, "LABELS": lab, "ISTIO_VERSION": "1.31.0",
		"CLUSTER_ID": "Kubernetes", "SERVICE_ACCOUNT": "default", "INTERCEPTION_MODE": "REDIRECT",
		"INSTANCE_IPS": parts[1], "DNS_DOMAIN": ns + ".svc.cluster.local"})
	if err != nil {
		t.Fatal(err)
	}
	return &corev3.Node{Id: id, Metadata: md}
}

func (a *adsStream) get(typ string, names []string) []*anypb.Any {
	if err := a.stream.Send(&discoveryv3.DiscoveryRequest{Node: a.node, TypeUrl: typ, ResourceNames: names}); err != nil {
		a.t.Fatalf("ADS send %s: %v", typ, err)
	}
	for {
		r, err := a.stream.Recv()
		if err != nil {
			a.t.Fatalf("ADS receive %s: %v", typ, err)
		}
		if r.TypeUrl == typ {
			return r.Resources
		}
	}
}

func (a *adsStream) clusters(c *simulate.Config) (eds []string) {
	for _, r := range a.get(resource.ClusterType, nil) {
		cl := &clusterv3.Cluster{}
		a.unmarshal(r, cl)
		cl.Filters = nil
		c.Clusters[cl.Name] = cl
		if cl.GetType() == clusterv3.Cluster_EDS {
			eds = append(eds, cl.Name)
		}
	}
	return eds
}

func (a *adsStream) listeners(c *simulate.Config) (rds []string) {
	for _, r := range a.get(resource.ListenerType, nil) {
		l := &listenerv3.Listener{}
		a.unmarshal(r, l)
		c.Listeners = append(c.Listeners, l)
		for _, fc := range append(l.FilterChains, l.DefaultFilterChain) {
			for _, f := range fc.GetFilters() {
				if name := stripALPN(f); name != "" {
					rds = append(rds, name)
				}
			}
		}
	}
	return rds
}

// stripALPN drops istio.alpn from an HCM filter and returns its RDS name.
func stripALPN(f *listenerv3.Filter) string {
	h := &hcmv3.HttpConnectionManager{}
	if f.GetTypedConfig().UnmarshalTo(h) != nil {
		return ""
	}
	var keep []*hcmv3.HttpFilter
	for _, hf := range h.HttpFilters {
		if hf.Name != "istio.alpn" {
			keep = append(keep, hf)
		}
	}
	h.HttpFilters = keep
	_ = f.GetTypedConfig().MarshalFrom(h)
	return h.GetRds().GetRouteConfigName()
}

func (a *adsStream) routes(c *simulate.Config, names []string) {
	if len(names) == 0 {
		return
	}
	for _, r := range a.get(resource.RouteType, names) {
		rc := &routev3.RouteConfiguration{}
		a.unmarshal(r, rc)
		c.Routes[rc.Name] = rc
	}
}

func (a *adsStream) endpoints(c *simulate.Config, names []string) {
	if len(names) == 0 {
		return
	}
	for _, r := range a.get(resource.EndpointType, names) {
		e := &endpointv3.ClusterLoadAssignment{}
		a.unmarshal(r, e)
		c.Endpoints[e.ClusterName] = e
	}
}

func (a *adsStream) unmarshal(r *anypb.Any, m proto.Message) {
	if err := proto.Unmarshal(r.Value, m); err != nil {
		a.t.Fatalf("%s: %v", r.TypeUrl, err)
	}
}
