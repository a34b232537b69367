package leangrpc

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
)

func unaryWith(t *testing.T, o Options, payload int, opts ...grpc.CallOption) error {
	t.Helper()
	tc := testgrpc.NewTestServiceClient(dial(t, testServer(t, o)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := tc.UnaryCall(ctx, &testgrpc.SimpleRequest{Payload: &testgrpc.Payload{Body: make([]byte, payload)}}, opts...)
	return err
}

func TestRequestOverTheSizeLimitIsRefused(t *testing.T) {
	if err := unaryWith(t, Options{MaxRecvMsgSize: 1 << 10}, 2<<10); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("2 KiB request, 1 KiB limit: %v, want ResourceExhausted", err)
	}
	if err := unaryWith(t, Options{MaxRecvMsgSize: 1 << 20}, 512<<10); err != nil {
		t.Errorf("512 KiB request, 1 MiB limit (beyond the first windows): %v", err)
	}
}

func TestCompressedRequestsAreRefused(t *testing.T) {
	err := unaryWith(t, Options{}, 10, grpc.UseCompressor("gzip"))
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("gzip request: %v, want Unimplemented naming gzip", err)
	}
}

// Headers beyond the advertised list size refuse the call, not the
// connection: the next call on it is served.
func TestOversizedHeadersRefuseTheCall(t *testing.T) {
	c := rawDial(t, testServer(t, Options{}))
	big := strings.Repeat("x", 8<<10)
	var fields []hpack.HeaderField
	for i := range 9 {
		fields = append(fields, hpack.HeaderField{Name: "x-big-" + string(rune('a'+i)), Value: big})
	}
	c.buf.Reset()
	for _, f := range append([]hpack.HeaderField{{Name: ":method", Value: "POST"}, {Name: ":path", Value: fullDuplex},
		{Name: "content-type", Value: "application/grpc"}}, fields...) {
		c.enc.WriteField(f)
	}
	block := c.buf.Bytes()
	c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:16<<10]})
	for rest := block[16<<10:]; len(rest) > 0; {
		n := min(len(rest), 16<<10)
		c.fr.WriteContinuation(1, n == len(rest), rest[:n])
		rest = rest[n:]
	}
	f, err := c.until(func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok })
	if err != nil {
		t.Fatal(err)
	}
	if r := f.(*http2.RSTStreamFrame); r.StreamID != 1 || r.ErrCode != http2.ErrCodeEnhanceYourCalm {
		t.Errorf("RST_STREAM %d %v, want 1 ENHANCE_YOUR_CALM", r.StreamID, r.ErrCode)
	}
	c.open(3, "/grpc.testing.TestService/NoSuchMethod")
	f, err = c.until(func(f http2.Frame) bool { h, ok := f.(*http2.HeadersFrame); return ok && h.StreamID == 3 })
	if err != nil {
		t.Fatalf("the next call on the connection: %v", err)
	}
	if !f.(*http2.HeadersFrame).StreamEnded() {
		t.Error("want a trailers-only answer (Unimplemented) for the next call")
	}
}
