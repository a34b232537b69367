package server

import (
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc/encoding"
	protoenc "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"
)

// Codec is gRPC's proto codec, except that xDS responses are framed around
// their resources' encoded bytes, which parts share between every proxy,
// instead of copying them into one buffer per response: a push then
// allocates a few hundred bytes per response, not the response's size.
// Serve ADS with grpc.ForceServerCodecV2(server.Codec()).
func Codec() encoding.CodecV2 { return wireCodec{base: encoding.GetCodecV2(protoenc.Name)} }

type wireCodec struct{ base encoding.CodecV2 }

func (c wireCodec) Name() string { return protoenc.Name }

func (c wireCodec) Unmarshal(data mem.BufferSlice, v any) error { return c.base.Unmarshal(data, v) }

func (c wireCodec) Marshal(v any) (mem.BufferSlice, error) {
	switch m := v.(type) {
	case *discovery.DiscoveryResponse:
		if plainSotW(m) {
			return encodeSotW(m), nil
		}
	case *discovery.DeltaDiscoveryResponse:
		if plainDelta(m) {
			return encodeDelta(m), nil
		}
	}
	return c.base.Marshal(v)
}

// plainSotW: only the fields weft sets, so nothing is left out by hand.
func plainSotW(m *discovery.DiscoveryResponse) bool {
	return !m.Canary && m.ControlPlane == nil && len(m.ResourceErrors) == 0 && len(m.ProtoReflect().GetUnknown()) == 0
}

func plainDelta(m *discovery.DeltaDiscoveryResponse) bool {
	if m.ControlPlane != nil || len(m.ResourceErrors) > 0 || len(m.RemovedResourceNames) > 0 || len(m.ProtoReflect().GetUnknown()) > 0 {
		return false
	}
	for _, r := range m.Resources {
		if r == nil || r.ResourceName != nil || len(r.Aliases) > 0 || r.Ttl != nil || r.CacheControl != nil || r.Metadata != nil ||
			len(r.ProtoReflect().GetUnknown()) > 0 {
			return false
		}
	}
	return true
}

// wire builds a message as small framing bytes interleaved with shared
// resource bytes, which are referenced, never copied.
type wire struct {
	out   mem.BufferSlice
	small []byte
	start int // where the framing not yet in out begins
}

func (w *wire) str(num protowire.Number, s string) {
	if s != "" {
		w.small = protowire.AppendString(protowire.AppendTag(w.small, num, protowire.BytesType), s)
	}
}

// shared appends b by reference.
func (w *wire) shared(b []byte) {
	if len(b) == 0 {
		return
	}
	w.flush()
	w.out = append(w.out, mem.SliceBuffer(b))
}

func (w *wire) flush() {
	if len(w.small) > w.start {
		w.out = append(w.out, mem.SliceBuffer(w.small[w.start:len(w.small):len(w.small)]))
		w.start = len(w.small)
	}
}

func (w *wire) done() mem.BufferSlice {
	w.flush()
	return w.out
}

// anyField frames an Any as field num of its parent.
func (w *wire) anyField(num protowire.Number, a *anypb.Any) {
	if a == nil {
		return
	}
	w.small = protowire.AppendVarint(protowire.AppendTag(w.small, num, protowire.BytesType), uint64(anySize(a)))
	w.str(1, a.GetTypeUrl())
	if v := a.GetValue(); len(v) > 0 {
		w.small = protowire.AppendVarint(protowire.AppendTag(w.small, 2, protowire.BytesType), uint64(len(v)))
		w.shared(v)
	}
}

func anySize(a *anypb.Any) int {
	return stringFieldSize(a.GetTypeUrl()) + bytesFieldSize(len(a.GetValue()))
}

func stringFieldSize(s string) int { return bytesFieldSize(len(s)) }

func bytesFieldSize(n int) int {
	if n == 0 {
		return 0
	}
	return protowire.SizeTag(1) + protowire.SizeBytes(n)
}

func encodeSotW(m *discovery.DiscoveryResponse) mem.BufferSlice {
	w := &wire{small: make([]byte, 0, 64+48*len(m.Resources))}
	w.str(1, m.VersionInfo)
	for _, a := range m.Resources {
		if a == nil {
			w.small = protowire.AppendVarint(protowire.AppendTag(w.small, 2, protowire.BytesType), 0)
			continue
		}
		w.anyField(2, a)
	}
	w.str(4, m.TypeUrl)
	w.str(5, m.Nonce)
	return w.done()
}

func encodeDelta(m *discovery.DeltaDiscoveryResponse) mem.BufferSlice {
	w := &wire{small: make([]byte, 0, 64+96*len(m.Resources))}
	w.str(1, m.SystemVersionInfo)
	for _, r := range m.Resources {
		size := stringFieldSize(r.Version) + stringFieldSize(r.Name)
		if r.Resource != nil {
			size += protowire.SizeTag(2) + protowire.SizeBytes(anySize(r.Resource))
		}
		w.small = protowire.AppendVarint(protowire.AppendTag(w.small, 2, protowire.BytesType), uint64(size))
		w.str(1, r.Version)
		w.anyField(2, r.Resource)
		w.str(3, r.Name)
	}
	w.str(4, m.TypeUrl)
	w.str(5, m.Nonce)
	for _, n := range m.RemovedResources {
		w.small = protowire.AppendString(protowire.AppendTag(w.small, 6, protowire.BytesType), n)
	}
	return w.done()
}
