package leangrpc

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
)

// rawClient speaks HTTP/2 frame by frame, to test what a gRPC client
// library would not send.
type rawClient struct {
	t   *testing.T
	nc  net.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
}

func rawDial(t *testing.T, addr string) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawClient{t: t, nc: nc, fr: http2.NewFramer(nc, nc)}
	c.enc = hpack.NewEncoder(&c.buf)
	if _, err := io.WriteString(nc, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := c.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return c
}

// open starts a call to path on stream id.
func (c *rawClient) open(id uint32, path string, extra ...hpack.HeaderField) {
	c.t.Helper()
	c.buf.Reset()
	for _, f := range append([]hpack.HeaderField{{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"},
		{Name: ":path", Value: path}, {Name: ":authority", Value: "weft"}, {Name: "content-type", Value: "application/grpc"},
		{Name: "te", Value: "trailers"}}, extra...) {
		c.enc.WriteField(f)
	}
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.buf.Bytes(), EndHeaders: true}); err != nil {
		c.t.Fatal(err)
	}
}

// until reads frames until match accepts one, or the connection ends.
func (c *rawClient) until(match func(http2.Frame) bool) (http2.Frame, error) {
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			return nil, err
		}
		if match(f) {
			return f, nil
		}
	}
}

// goAway waits for the server's GOAWAY.
func (c *rawClient) goAway(t *testing.T) *http2.GoAwayFrame {
	t.Helper()
	f, err := c.until(func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok })
	if err != nil {
		t.Fatalf("no GOAWAY: %v", err)
	}
	return f.(*http2.GoAwayFrame)
}

func testServer(t *testing.T, o Options) string {
	s := NewServer(o)
	testgrpc.RegisterTestServiceServer(s, interop.NewTestServer())
	return serveTest(t, s)
}

const fullDuplex = "/grpc.testing.TestService/FullDuplexCall"

func TestProtocolErrorsEndTheConnection(t *testing.T) {
	addr := testServer(t, Options{})
	for _, tc := range []struct {
		name string
		send func(c *rawClient)
		code http2.ErrCode
	}{
		{"push promise", func(c *rawClient) {
			c.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: []byte{0x82}, EndHeaders: true})
		}, http2.ErrCodeProtocol},
		{"zero window update", func(c *rawClient) { c.fr.WriteRawFrame(http2.FrameWindowUpdate, 0, 0, []byte{0, 0, 0, 0}) }, http2.ErrCodeProtocol},
		{"even stream id", func(c *rawClient) { c.open(2, fullDuplex) }, http2.ErrCodeProtocol},
		{"data on an idle stream", func(c *rawClient) { c.fr.WriteData(9, false, []byte{0, 0, 0, 0, 0}) }, http2.ErrCodeProtocol},
		{"bad header block", func(c *rawClient) {
			c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0xff, 0xff, 0xff, 0xff}, EndHeaders: true})
		}, http2.ErrCodeCompression},
		{"frame over the size limit", func(c *rawClient) {
			c.fr.WriteRawFrame(http2.FrameData, 0, 1, make([]byte, maxReadFrame+1))
		}, http2.ErrCodeFrameSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := rawDial(t, addr)
			tc.send(c)
			if got := c.goAway(t).ErrCode; got != tc.code {
				t.Errorf("GOAWAY %v, want %v", got, tc.code)
			}
			if _, err := c.until(func(http2.Frame) bool { return false }); !errors.Is(err, io.EOF) && !isReset(err) {
				t.Errorf("connection still open after GOAWAY: %v", err)
			}
		})
	}
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}

// A client speaking something else is told so (GOAWAY PROTOCOL_ERROR)
// and the connection closed after it could read that.
func TestNotHTTP2IsClosed(t *testing.T) {
	addr := testServer(t, Options{})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	fr := http2.NewFramer(nil, nc)
	f, err := fr.ReadFrame()
	if err != nil {
		t.Fatalf("want GOAWAY, got %v", err)
	}
	if g, ok := f.(*http2.GoAwayFrame); !ok || g.ErrCode != http2.ErrCodeProtocol {
		t.Fatalf("want GOAWAY PROTOCOL_ERROR, got %v", f)
	}
	if _, err := fr.ReadFrame(); !errors.Is(err, io.EOF) {
		t.Errorf("after GOAWAY: %v, want the connection closed (EOF)", err)
	}
}

// A client pinging more often than allowed without data in between is
// sent GOAWAY "too_many_pings" at its third strike (the fourth ping), as
// gRPC-Go's server does.
func TestPingFloodIsCutOff(t *testing.T) {
	c := rawDial(t, testServer(t, Options{MinPingInterval: time.Minute}))
	for i := range 4 {
		c.fr.WritePing(false, [8]byte{byte(i)})
	}
	acks := 0
	f, err := c.until(func(f http2.Frame) bool {
		if p, ok := f.(*http2.PingFrame); ok && p.IsAck() {
			acks++
		}
		_, ok := f.(*http2.GoAwayFrame)
		return ok
	})
	if err != nil {
		t.Fatalf("no GOAWAY after 3 pings: %v", err)
	}
	if g := f.(*http2.GoAwayFrame); g.ErrCode != http2.ErrCodeEnhanceYourCalm || string(g.DebugData()) != "too_many_pings" {
		t.Errorf("GOAWAY %v %q", g.ErrCode, g.DebugData())
	}
	if acks != 3 {
		t.Errorf("%d pings answered before GOAWAY, want 3", acks)
	}
}

// A connection that does not answer the server's keepalive ping is closed.
func TestSilentPeerIsClosedByKeepalive(t *testing.T) {
	c := rawDial(t, testServer(t, Options{KeepaliveTime: 50 * time.Millisecond, KeepaliveTimeout: 50 * time.Millisecond}))
	pinged := false
	_, err := c.until(func(f http2.Frame) bool {
		if p, ok := f.(*http2.PingFrame); ok && !p.IsAck() {
			pinged = true
		}
		return false
	})
	if !pinged || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("pinged %v, then %v; want a ping, then the connection closed", pinged, err)
	}
}

// A peer that answers keeps its connection.
func TestAnsweringPeerKeepsItsConnection(t *testing.T) {
	c := rawDial(t, testServer(t, Options{KeepaliveTime: 30 * time.Millisecond, KeepaliveTimeout: 30 * time.Millisecond}))
	pings := 0
	c.until(func(f http2.Frame) bool {
		if p, ok := f.(*http2.PingFrame); ok && !p.IsAck() {
			pings++
			c.fr.WritePing(true, p.Data)
		}
		return pings == 5
	})
	if pings != 5 {
		t.Fatalf("connection ended after %d answered pings", pings)
	}
}

// More calls than MaxConcurrentStreams are refused, not queued.
func TestStreamsBeyondTheLimitAreRefused(t *testing.T) {
	c := rawDial(t, testServer(t, Options{MaxConcurrentStreams: 3}))
	for id := uint32(1); id <= 7; id += 2 {
		c.open(id, fullDuplex)
	}
	f, err := c.until(func(f http2.Frame) bool { _, ok := f.(*http2.RSTStreamFrame); return ok })
	if err != nil {
		t.Fatal(err)
	}
	if r := f.(*http2.RSTStreamFrame); r.StreamID != 7 || r.ErrCode != http2.ErrCodeRefusedStream {
		t.Errorf("RST_STREAM %d %v, want stream 7 REFUSED_STREAM", r.StreamID, r.ErrCode)
	}
}

// An idle call costs its connection's goroutine and its handler's, no
// more: what makes thousands of idle proxies cheap.
func TestIdleCallsCostTwoGoroutinesEach(t *testing.T) {
	addr := testServer(t, Options{})
	const n = 40
	for range n {
		c := rawDial(t, addr)
		c.open(1, fullDuplex)
	}
	want := 2*n + 1 // and Serve's
	deadline := time.Now().Add(10 * time.Second)
	for serverGoroutines() != want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // anything more would show by now
	if got := serverGoroutines(); got != want {
		t.Errorf("%d idle calls on %d connections: %d goroutines of the server, want %d", n, n, got, want)
	}
}

// serverGoroutines counts goroutines running this package's code.
func serverGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("internal/leangrpc.(*")) && !bytes.Contains(g, []byte("leangrpc.Test")) {
			n++
		}
	}
	return n
}
