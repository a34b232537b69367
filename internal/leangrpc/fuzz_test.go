package leangrpc

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/interop"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
)

// seedFrames is a well-formed call: headers, one message, a ping.
func seedFrames() []byte {
	var b, hb bytes.Buffer
	fr := http2.NewFramer(&b, nil)
	enc := hpack.NewEncoder(&hb)
	for _, f := range []hpack.HeaderField{{Name: ":method", Value: "POST"}, {Name: ":path", Value: fullDuplex},
		{Name: "content-type", Value: "application/grpc"}, {Name: "grpc-timeout", Value: "1S"}, {Name: "x-id-bin", Value: "AAEC"}} {
		enc.WriteField(f)
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	fr.WriteData(1, false, []byte{0, 0, 0, 0, 2, 0x0a, 0x00})
	fr.WritePing(false, [8]byte{1})
	fr.WriteWindowUpdate(1, 100)
	fr.WriteData(1, true, nil)
	return b.Bytes()
}

// FuzzConn feeds a connection arbitrary frames after a valid preface and
// SETTINGS: the server must neither panic nor hang, whatever it is sent.
func FuzzConn(f *testing.F) {
	f.Add(seedFrames())
	f.Add([]byte{0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0}) // zero WINDOW_UPDATE
	f.Add([]byte{0, 0, 0, 9, 4, 0, 0, 0, 1})             // stray CONTINUATION
	s := NewServer(Options{MaxRecvMsgSize: 1 << 16})
	testgrpc.RegisterTestServiceServer(s, interop.NewTestServer())
	f.Fuzz(func(t *testing.T, data []byte) {
		cli, srv := net.Pipe()
		done := make(chan struct{})
		go func() {
			s.serveConn(srv)
			close(done)
		}()
		go io.Copy(io.Discard, cli)
		var settings bytes.Buffer
		http2.NewFramer(&settings, nil).WriteSettings()
		cli.Write(append(append([]byte(http2.ClientPreface), settings.Bytes()...), data...))
		cli.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the connection did not end after the client closed it")
		}
	})
}
