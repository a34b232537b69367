package server

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

func anyOf(typeURL string, n int) *anypb.Any {
	v := make([]byte, n)
	for i := range v {
		v[i] = byte(i * 7)
	}
	return &anypb.Any{TypeUrl: typeURL, Value: v}
}

// What the codec writes decodes to the message it was given, whether it
// frames shared bytes or falls back to the plain codec.
func TestCodecRoundTrips(t *testing.T) {
	big := anyOf("type.googleapis.com/envoy.config.cluster.v3.Cluster", 70000) // varint lengths of 3 bytes
	msgs := map[string]proto.Message{
		"sotw": &discovery.DiscoveryResponse{VersionInfo: "v1", TypeUrl: "t", Nonce: "7",
			Resources: []*anypb.Any{anyOf("t", 10), big, {TypeUrl: "t"}, {}}},
		"sotw empty":    &discovery.DiscoveryResponse{TypeUrl: "t", Nonce: "1"},
		"sotw fallback": &discovery.DiscoveryResponse{VersionInfo: "v", ControlPlane: &corev3.ControlPlane{Identifier: "weft"}, Resources: []*anypb.Any{big}},
		"delta": &discovery.DeltaDiscoveryResponse{SystemVersionInfo: "s", TypeUrl: "t", Nonce: "9",
			Resources:        []*discovery.Resource{{Name: "a", Version: "1", Resource: anyOf("t", 300)}, {Name: "b", Version: "2", Resource: big}, {Name: "c"}},
			RemovedResources: []string{"x", "y"}},
		"delta fallback": &discovery.DeltaDiscoveryResponse{Resources: []*discovery.Resource{{Name: "a", Ttl: durationpb.New(5)}}},
	}
	c := Codec()
	for name, m := range msgs {
		data, err := c.Marshal(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := m.ProtoReflect().New().Interface()
		if err := proto.Unmarshal(data.Materialize(), got); err != nil {
			t.Fatalf("%s: the encoding does not parse: %v", name, err)
		}
		if !proto.Equal(got, m) {
			t.Errorf("%s: decoded %v, want %v", name, got, m)
		}
		if size := proto.Size(m); data.Len() != size {
			t.Errorf("%s: %d bytes, want %d as proto.Marshal", name, data.Len(), size)
		}
	}
}

// A response's resource bytes are referenced, not copied: the encoding is
// the resources' own slices plus a little framing.
func TestCodecSharesResourceBytes(t *testing.T) {
	big := anyOf("t", 70000)
	data, err := Codec().Marshal(&discovery.DiscoveryResponse{Resources: []*anypb.Any{big, big}})
	if err != nil {
		t.Fatal(err)
	}
	shared := 0
	for _, b := range data {
		if d := b.ReadOnlyData(); len(d) == len(big.Value) && &d[0] == &big.Value[0] {
			shared++
		}
	}
	if shared != 2 {
		t.Fatalf("%d of 2 resources referenced in place", shared)
	}
}
