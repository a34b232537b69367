package leangrpc

import (
	"bytes"
	"net"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
)

// BenchmarkIdleEventedCall reports what one idle evented call and its
// connection keep in weft's server: heap and stack bytes after a
// collection, per call; what makes 2000 idle proxies cheap.
func BenchmarkIdleEventedCall(b *testing.B) {
	svc := &eventedTestService{TestServiceServer: interop.NewTestServer()}
	s := NewServer(Options{})
	testgrpc.RegisterTestServiceServer(s, svc)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(lis)
	b.Cleanup(s.Stop)
	// A client is a socket and bytes written once: what is measured is
	// the server's.
	hello := helloBytes()
	before := inUse()
	for range b.N {
		nc, err := net.Dial("tcp", lis.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		if _, err := nc.Write(hello); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for svc.open.Load() != int32(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d calls opened within a minute", svc.open.Load(), b.N)
		}
		runtime.Gosched()
	}
	b.ReportMetric(float64(inUse()-before)/float64(b.N), "B/idle-call")
}

// helloBytes are a client's preface, SETTINGS and a FullDuplexCall's HEADERS.
func helloBytes() []byte {
	var b, hb bytes.Buffer
	b.WriteString(http2.ClientPreface)
	fr := http2.NewFramer(&b, nil)
	fr.WriteSettings()
	enc := hpack.NewEncoder(&hb)
	for _, f := range []hpack.HeaderField{{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"},
		{Name: ":path", Value: fullDuplex}, {Name: ":authority", Value: "weft"},
		{Name: "content-type", Value: "application/grpc"}, {Name: "te", Value: "trailers"}} {
		enc.WriteField(f)
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	return b.Bytes()
}

// inUse is the heap and stacks in use after a collection.
func inUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}
